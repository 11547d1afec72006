#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) on 127.0.0.1 for development, tests and CI, secured as production is:
# - clients: SASL_SSL on 127.0.0.1:$KAFKA_PORT, SCRAM-SHA-512, one principal per service and external
#   system (libs/contracts/src/kafka-principals.ts), TLS with a CA made for this data dir;
# - controller: TLS with client certificates on 127.0.0.1:$KAFKA_CONTROLLER_PORT (only the broker's own
#   certificate gets in; KRaft has no SCRAM on the controller listener);
# - StandardAuthorizer, nothing allowed without an ACL; super users: broker, admin. Topics and ACLs come
#   from the topic table (scripts/kafka-setup.ts, libs/contracts/src/kafka-access.ts).
# The broker jars come from Maven Central once (tools/kafka/pom.xml) and are cached under
# $SLIDECHARGE_CACHE (default: ~/.cache/slidecharge), so a second start needs no download.
#
#   scripts/kafka.sh start             fetch if needed; a new data dir gets its CA, certificates and
#                                      SCRAM users; start, wait until ready, create topics, apply ACLs
#   scripts/kafka.sh stop              stop the broker started by this script
#   scripts/kafka.sh status            exit 0 when the broker answers on its port
#   scripts/kafka.sh logs              tail the broker log
#   scripts/kafka.sh reset             stop and delete the data dir (messages, CA, passwords)
#   scripts/kafka.sh env PRINCIPAL     print the principal's client settings (KAFKA_* lines; the
#                                      password as a file path): export $(scripts/kafka.sh env billing)
#   scripts/kafka.sh rotate PRINCIPAL  give the principal a new random SCRAM password (broker running)
#   scripts/kafka.sh acls              print the ACL table the setup applies
#
# Secrets live in <data dir>/secrets (mode 0700, files 0600): ca.pem/ca.key, the broker's key and
# certificate, <principal>.password, and admin.properties for Kafka's own CLI tools.
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_DATA_DIR (<cache>/kafka-data-<port>), KAFKA_HEAP (512m).
set -euo pipefail
umask 077

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SLIDECHARGE_CACHE:-$HOME/.cache/slidecharge}"
port="${KAFKA_PORT:-9092}"
cport="${KAFKA_CONTROLLER_PORT:-9093}"
libs="$cache/kafka-libs"
data="${KAFKA_DATA_DIR:-$cache/kafka-data-$port}"
secrets="$data/secrets"
conf="$data/server.properties"
pidfile="$data/kafka.pid"
log="$data/kafka.log"
# Written once a data dir is formatted with TLS and SCRAM users; a data dir without it predates them.
secured="$data/secured"
stamp="$data/setup.stamp"

say() { echo "kafka: $*" >&2; }
die() { say "$*"; exit 1; }

fetch() {
  if [ -f "$libs/.complete" ]; then return; fi
  say "fetching broker jars from Maven Central into $libs"
  rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
  mvn -q -B -f "$here/tools/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
  rm -rf "$libs" && mv "$libs.tmp" "$libs" && touch "$libs/.complete"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

java_cmd() { echo "${JAVA_HOME:+$JAVA_HOME/bin/}java"; }

# A class of the broker's jars (StorageTool, ConfigCommand, ...): a JVM start, a few seconds each.
kafka_tool() { "$(java_cmd)" -cp "$libs/*" -Dlog4j.configuration="file:$here/tools/kafka/log4j.properties" "$@"; }

# The principals of the topic table, "<name> <role>" per line (one ts-node run, about a second).
setup_tool() {
  [ -x "$here/node_modules/.bin/ts-node" ] || die "node_modules is missing: run npm ci first"
  "$here/node_modules/.bin/ts-node" --transpile-only -O '{"module":"commonjs"}' "$here/scripts/kafka-setup.ts" "$@"
}

new_password() { openssl rand -hex 24; }

# ---- TLS: a CA per data dir, and the broker's certificate (SAN IP:127.0.0.1, DNS:localhost) ----

make_ca() {
  [ -f "$secrets/ca.pem" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=slidecharge development Kafka CA" \
    -keyout "$secrets/ca.key" -out "$secrets/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# Issued again when missing or within 30 days of its end. CN=broker is the broker's principal on the
# controller listener (ssl.principal.mapping.rules below).
make_broker_cert() {
  if [ -f "$secrets/broker.pem" ] && openssl x509 -checkend 2592000 -noout -in "$secrets/broker.pem" >/dev/null; then return; fi
  openssl req -newkey rsa:2048 -nodes -subj "/CN=broker" -keyout "$secrets/broker.key" -out "$secrets/broker.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$secrets/broker.ext"
  openssl x509 -req -days 825 -in "$secrets/broker.csr" -CA "$secrets/ca.pem" -CAkey "$secrets/ca.key" \
    -CAcreateserial -extfile "$secrets/broker.ext" -out "$secrets/broker.pem" 2>/dev/null
  cat "$secrets/broker.key" "$secrets/broker.pem" >"$secrets/broker-keystore.pem"
  rm -f "$secrets/broker.csr" "$secrets/broker.ext"
}

# ---- SCRAM users ----

write_admin_properties() {
  cat >"$secrets/admin.properties" <<PROPS
# Kafka CLI tools as admin: kafka-topics.sh --bootstrap-server 127.0.0.1:$port --command-config $secrets/admin.properties
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(cat "$secrets/admin.password")";
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
PROPS
}

# A data dir made before Kafka was secured has no TLS, users or ACLs: it is re-created (this is the
# development cache of scripts/kafka.sh, never a production cluster).
recreate_if_unsecured() {
  if [ -f "$data/logs/meta.properties" ] && [ ! -f "$secured" ]; then
    say "$data predates SASL/TLS (no CA, no SCRAM users): re-creating it (development cache only; its messages are dropped)"
    if running; then stop; fi
    rm -rf "$data"
  fi
}

# Formats a new data dir with a random SCRAM-SHA-512 password per principal (StorageTool --add-scram).
format() {
  local principals="$1" cid args=() name
  for name in $(awk '{print $1}' <<<"$principals"); do
    [ -f "$secrets/$name.password" ] || new_password >"$secrets/$name.password"
    args+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$(cat "$secrets/$name.password")]")
  done
  cid="$(kafka_tool kafka.tools.StorageTool random-uuid | tail -1)"
  kafka_tool kafka.tools.StorageTool format -t "$cid" -c "$conf" "${args[@]}" >/dev/null
  write_admin_properties
  echo "sasl_ssl scram-sha-512 mtls-controller v1" >"$secured"
  say "formatted $data: CA, broker certificate and SCRAM users ($(awk '{print $1}' <<<"$principals" | paste -sd, -))"
}

write_config() {
  local principals="$1" supers
  supers="$(awk '$2 == "super" {printf "%sUser:%s", sep, $1; sep=";"}' <<<"$principals")"
  cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=CLIENT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=CLIENT://127.0.0.1:$port
listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
# Clients: SCRAM-SHA-512 over TLS. The broker itself is the SCRAM user "broker".
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(cat "$secrets/broker.password")";
ssl.keystore.type=PEM
ssl.keystore.location=$secrets/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
# Controller: mutual TLS, only certificates of this data dir's CA (the broker's own); CN=broker -> User:broker.
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=$supers
log.dirs=$data/logs
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
default.replication.factor=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
}

# ---- settings of a principal ----

principal_env() {
  local name="$1"
  [ -f "$secrets/$name.password" ] || die "no principal '$name' in $data (known: $(cd "$secrets" 2>/dev/null && ls -- *.password 2>/dev/null | sed 's/\.password$//' | paste -sd' ' -))"
  cat <<ENV
KAFKA_BROKERS=127.0.0.1:$port
KAFKA_SASL_MECHANISM=scram-sha-512
KAFKA_SASL_USERNAME=$name
KAFKA_SASL_PASSWORD=
KAFKA_SASL_PASSWORD_FILE=$secrets/$name.password
KAFKA_TLS=true
KAFKA_TLS_CA_FILE=$secrets/ca.pem
ENV
}

# New SCRAM credential for a principal through the running broker (ConfigCommand as admin), then
# the password file. Also adds a principal the table gained after this data dir was formatted.
set_password() {
  local name="$1" password
  running || die "the broker is not running (scripts/kafka.sh start)"
  password="$(new_password)"
  printf 'SCRAM-SHA-512=password=%s\n' "$password" >"$secrets/.scram-$name.properties"
  kafka_tool kafka.admin.ConfigCommand \
    --bootstrap-server "127.0.0.1:$port" --command-config "$secrets/admin.properties" --alter \
    --entity-type users --entity-name "$name" --add-config-file "$secrets/.scram-$name.properties" >/dev/null
  rm -f "$secrets/.scram-$name.properties"
  printf '%s\n' "$password" >"$secrets/$name.password.new" && mv "$secrets/$name.password.new" "$secrets/$name.password"
  if [ "$name" = admin ]; then write_admin_properties; fi
  say "new SCRAM password for $name in $secrets/$name.password"
}

# ---- start ----

# Topics and ACLs from the topic table, as admin; skipped while the broker and the table are unchanged.
setup() {
  local principals="$1" want name
  want="$(cat "$pidfile") $(cat "$here/libs/contracts/src/kafka-principals.ts" "$here/libs/contracts/src/kafka-access.ts" \
    "$here/libs/contracts/src/topics.ts" "$here/scripts/kafka-setup.ts" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  [ -n "$principals" ] || principals="$(setup_tool principals)"
  for name in $(awk '{print $1}' <<<"$principals"); do
    [ -f "$secrets/$name.password" ] || set_password "$name"
  done
  (set -a && eval "$(principal_env admin)" && setup_tool apply) >&2
  echo "$want" >"$stamp"
}

wait_ready() {
  for _ in $(seq 1 120); do
    if port_open "$port" && grep -q "Kafka Server started" "$log" 2>/dev/null; then
      say "ready on 127.0.0.1:$port (SASL_SSL; settings: scripts/kafka.sh env <principal>)"; return
    fi
    if ! running; then say "broker exited; last lines of $log:"; tail -30 "$log" >&2; exit 1; fi
    sleep 0.5
  done
  die "not ready after 60 s; see $log"
}

start() {
  recreate_if_unsecured
  if running && port_open "$port"; then setup ""; say "already running on 127.0.0.1:$port"; return; fi
  if port_open "$port"; then die "something else listens on 127.0.0.1:$port"; fi
  fetch
  mkdir -p "$secrets" "$data/logs" && chmod 700 "$data" "$secrets"
  local principals
  principals="$(setup_tool principals)"
  make_ca
  make_broker_cert
  [ -f "$secrets/broker.password" ] || new_password >"$secrets/broker.password"
  write_config "$principals"
  if [ ! -f "$data/logs/meta.properties" ]; then format "$principals"; fi
  say "starting on 127.0.0.1:$port (log: $log)"
  nohup "$(java_cmd)" "-Xmx${KAFKA_HEAP:-512m}" "-Xms${KAFKA_HEAP:-512m}" \
    -Dlog4j.configuration="file:$here/tools/kafka/log4j.properties" -Dkafka.logs.dir="$data" \
    -cp "$libs/*" kafka.Kafka "$conf" >"$log" 2>&1 &
  echo $! >"$pidfile"
  wait_ready
  setup "$principals"
}

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$pidfile")" || true
  fi
  rm -f "$pidfile"; say "stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) port_open "$port" ;;
  logs) tail -f "$log" ;;
  reset) stop; rm -rf "$data" ;;
  env) principal_env "${2:?usage: $0 env PRINCIPAL}" ;;
  rotate) [ -f "$secrets/${2:?usage: $0 rotate PRINCIPAL}.password" ] || die "no principal '$2' in $data"; set_password "$2" ;;
  acls) setup_tool acls ;;
  *) echo "usage: $0 start|stop|status|logs|reset|env PRINCIPAL|rotate PRINCIPAL|acls" >&2; exit 2 ;;
esac
