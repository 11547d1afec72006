#!/bin/sh
# The Kafka broker of docker-compose.yml, secured as scripts/kafka.sh secures the bundled one (same
# listeners, authorizer and principals; see that script for the reasons), inside the apache/kafka
# image, which has a JRE (keytool) but no openssl. Run by scripts/compose-smoke.sh (CI) with local images.
#
# First start: a CA and the broker's keystore (SAN DNS:kafka, DNS:localhost, IP:127.0.0.1), a random
# SCRAM password per principal (the list the kafka-principals service wrote from the topic table),
# storage formatted with those SCRAM users. Then the broker runs. Secrets: volume /kafka-secrets.
# KAFKA_HOST_PORT: the host port the HOST listener is published on (advertised to clients on the host).
set -eu
umask 077
secrets=/kafka-secrets
data=/var/lib/kafka/data
conf=/var/lib/kafka/server.properties
bin=/opt/kafka/bin
random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

[ -s "$secrets/principals" ] || { echo "compose-kafka: $secrets/principals is missing (the kafka-principals service writes it)" >&2; exit 1; }
[ -f "$secrets/keystore.password" ] || random >"$secrets/keystore.password"
kspass="$(cat "$secrets/keystore.password")"

if [ ! -f "$secrets/ca.pem" ]; then
  keytool -genkeypair -alias ca -keyalg RSA -keysize 2048 -validity 3650 -dname "CN=slidecharge compose Kafka CA" \
    -ext bc:c -storetype PKCS12 -keystore "$secrets/ca.p12" -storepass "$kspass"
  keytool -exportcert -rfc -alias ca -keystore "$secrets/ca.p12" -storepass "$kspass" >"$secrets/ca.pem"
fi
if [ ! -f "$secrets/broker.p12" ]; then
  keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 825 -dname "CN=broker" \
    -storetype PKCS12 -keystore "$secrets/broker.p12" -storepass "$kspass"
  keytool -certreq -alias broker -keystore "$secrets/broker.p12" -storepass "$kspass" -file /tmp/broker.csr
  keytool -gencert -alias ca -keystore "$secrets/ca.p12" -storepass "$kspass" -infile /tmp/broker.csr -outfile /tmp/broker.pem \
    -rfc -validity 825 -ext "SAN=dns:kafka,dns:localhost,ip:127.0.0.1" -ext "EKU=serverAuth,clientAuth"
  keytool -importcert -noprompt -trustcacerts -alias ca -file "$secrets/ca.pem" -keystore "$secrets/broker.p12" -storepass "$kspass"
  keytool -importcert -alias broker -file /tmp/broker.pem -keystore "$secrets/broker.p12" -storepass "$kspass"
fi

for name in $(awk '{print $1}' "$secrets/principals"); do
  [ -f "$secrets/$name.password" ] || random >"$secrets/$name.password"
done
supers="$(awk '$2 == "super" {printf "%sUser:%s", sep, $1; sep=";"}' "$secrets/principals")"

cat >"$secrets/admin.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$secrets/admin.password")";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
PROPS

mkdir -p "$data"
cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=CLIENT://:9092,CONTROLLER://:9093,HOST://:29092
advertised.listeners=CLIENT://kafka:9092,HOST://127.0.0.1:${KAFKA_HOST_PORT:-29092}
listener.security.protocol.map=CLIENT:SASL_SSL,HOST:SASL_SSL,CONTROLLER:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(cat "$secrets/broker.password")";
listener.name.host.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(cat "$secrets/broker.password")";
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets/broker.p12
ssl.keystore.password=$kspass
ssl.key.password=$kspass
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=$supers
log.dirs=$data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
PROPS

if [ ! -f "$data/meta.properties" ]; then
  set --
  for name in $(awk '{print $1}' "$secrets/principals"); do
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=$name,password=$(cat "$secrets/$name.password")]"
  done
  "$bin/kafka-storage.sh" format -t "$("$bin/kafka-storage.sh" random-uuid)" -c "$conf" "$@"
fi
# The services run as uid 1000 (user node) and read their own password file and the CA.
chown -R 1000:1000 "$secrets"
exec "$bin/kafka-server-start.sh" "$conf"
