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
# KAFKA_DATA_DIR (<cache>/kafka-data-<port>), KAFKA_HEAP (512m), KAFKA_PROXY_PORT (unset).
#
# A fault proxy on the data path (the fault campaign, issue #11; scripts/fault-proxy.ts): a Kafka client
# connects to the address the broker advertises after bootstrap, so a proxy in front of KAFKA_PORT
# would carry the bootstrap connection only. With KAFKA_PROXY_PORT set, `start` adds a second client
# listener, PROXIED, secured as the first (SASL_SSL, same certificate and users), bound on
# 127.0.0.1:$KAFKA_PROXY_BROKER_PORT (default KAFKA_PROXY_PORT + 1) and advertised as
# 127.0.0.1:$KAFKA_PROXY_PORT, where the proxy listens and forwards to the bound port. Clients that
# bootstrap at 127.0.0.1:$KAFKA_PROXY_PORT (KAFKA_BROKERS; `env` still prints KAFKA_PORT) are told the
# proxy's address for every later connection, so all their traffic crosses it; TLS passes through
# unchanged (the certificate names 127.0.0.1). Those on KAFKA_PORT, the broker itself and the setup
# keep the direct path. Unset (the default), the broker is configured exactly as without it. In cluster
# mode node N's proxied listener is bound on KAFKA_PROXY_BROKER_PORT+2(N-1) and advertised as
# KAFKA_PROXY_PORT+2(N-1), one proxy per node (scripts/chaos-ci.sh --cluster 3 starts them).
#   KAFKA_PROXY_PORT=19094 scripts/kafka.sh start
#   ts-node scripts/fault-proxy.ts --name kafka --listen 127.0.0.1:19094 --upstream 127.0.0.1:19095
#
# Cluster mode: three (3 to 5; tested with 3) combined broker+controller KRaft nodes on 127.0.0.1, for
# failure drills (docs/operations.md, "A three-node cluster"; libs/messaging/test/kafka-cluster.int-spec.ts):
#   KAFKA_PORT=29092 KAFKA_BROKERS_COUNT=3 scripts/kafka.sh start   (or: scripts/kafka.sh start --cluster 3)
# Node N listens on KAFKA_PORT+2(N-1) (clients) and KAFKA_CONTROLLER_PORT+2(N-1) (controllers; default
# KAFKA_PORT+1): 29092/29093, 29094/29095, 29096/29097 here. All nodes are controller voters; one CA, a certificate per
# node (CN=broker), the same SCRAM users; default.replication.factor=3, min.insync.replicas=2 (the
# offsets and transaction state topics too), so the setup creates every topic with 3 replicas and a
# write acknowledged with acks=all survives the loss of any one node. The data dir remembers its mode
# (<data dir>/cluster): every other command then acts on all nodes, and `env` prints the three brokers.
# Node N keeps its configuration, log and data under <data dir>/node-N. Commands of cluster mode only:
#   scripts/kafka.sh kill [N]          SIGKILL node N, or the single broker without N (a crash: no
#                                      controlled shutdown; the fault campaign's broker fault)
#   scripts/kafka.sh stop-node N       stop node N gracefully (controlled shutdown)
#   scripts/kafka.sh start-node N      start node N again and wait until it serves
#   scripts/kafka.sh logs [N]          tail the logs of every node, or of node N
#   scripts/kafka.sh quorum            the active controller and each voter's progress
#   scripts/kafka.sh topics            each partition's leader, replicas and in-sync replicas
# `quorum` and `topics` also work on a single node (tools/kafka/ClusterStatus.java, run from source: a
# JDK is needed); `status` lists the nodes and exits 0 when all answer.
set -euo pipefail
umask 077

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SLIDECHARGE_CACHE:-$HOME/.cache/slidecharge}"
port="${KAFKA_PORT:-9092}"
libs="$cache/kafka-libs"
data="${KAFKA_DATA_DIR:-$cache/kafka-data-$port}"
secrets="$data/secrets"
# Written once a data dir is formatted with TLS and SCRAM users; a data dir without it predates them.
secured="$data/secured"
stamp="$data/setup.stamp"
proxy_port="${KAFKA_PROXY_PORT:-}"
if [ -n "$proxy_port" ] && ! [[ "$proxy_port" =~ ^[0-9]+$ ]]; then echo "kafka: KAFKA_PROXY_PORT must be a port number" >&2; exit 2; fi
proxy_broker_port="${KAFKA_PROXY_BROKER_PORT:-${proxy_port:+$((proxy_port + 1))}}"
# The number of nodes of a cluster data dir; absent in a single-node data dir.
cluster_file="$data/cluster"

say() { echo "kafka: $*" >&2; }
die() { say "$*"; exit 1; }

# ---- nodes: a single node keeps today's layout (files at the top of the data dir); node N of a
# cluster has <data dir>/node-N and ports KAFKA_PORT+2(N-1) / KAFKA_CONTROLLER_PORT+2(N-1) ----

# The data dir's number of nodes: what it was made with, else KAFKA_BROKERS_COUNT (or --cluster N) for a new one.
nodes_of_data_dir() {
  local made="" wanted="${1:-}"
  if [ -f "$cluster_file" ]; then made="$(cat "$cluster_file")"
  elif [ -f "$data/logs/meta.properties" ]; then made=1; fi
  if [ -n "$made" ] && [ -n "$wanted" ] && [ "$wanted" != "$made" ]; then
    die "$data holds a $made-node Kafka, not $wanted: scripts/kafka.sh reset it, or choose another KAFKA_PORT or KAFKA_DATA_DIR"
  fi
  echo "${made:-${wanted:-1}}"
}

nodes=1
cport=""

# Sets the node's paths and ports: ndir conf pidfile log nport ncport cert.
use_node() {
  node="$1"
  if [ "$nodes" -eq 1 ]; then ndir="$data" cert=broker; else ndir="$data/node-$node" cert="broker-$node"; fi
  conf="$ndir/server.properties"
  pidfile="$ndir/kafka.pid"
  log="$ndir/kafka.log"
  nport=$((port + 2 * (node - 1)))
  ncport=$((cport + 2 * (node - 1)))
  # The node's proxied listener (KAFKA_PROXY_PORT): advertised on nproxy, bound on nproxy_bound.
  if [ -n "$proxy_port" ]; then nproxy=$((proxy_port + 2 * (node - 1))) nproxy_bound=$((proxy_broker_port + 2 * (node - 1))); fi
}

node_numbers() { seq 1 "$nodes"; }

# host:port of every node's client listener, comma-separated.
bootstrap() { local n; for n in $(node_numbers); do echo "127.0.0.1:$((port + 2 * (n - 1)))"; done | paste -sd, -; }

# A node number given on the command line, checked against the data dir.
node_arg() {
  [ "$nodes" -gt 1 ] || die "$1 is for a cluster (KAFKA_BROKERS_COUNT=3 scripts/kafka.sh start); $data holds a single node"
  [[ "${2:-}" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le "$nodes" ] || die "usage: $0 $1 N (N from 1 to $nodes)"
}

fetch() {
  if [ -f "$libs/.complete" ]; then return; fi
  say "fetching broker jars from Maven Central into $libs"
  rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
  mvn -q -B -f "$here/tools/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
  rm -rf "$libs" && mv "$libs.tmp" "$libs" && touch "$libs/.complete"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The node's process is alive (a killed process not yet reaped by its parent is not).
running() {
  local pid
  [ -f "$pidfile" ] && pid="$(cat "$pidfile")" && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

any_running() { local n; for n in $(node_numbers); do use_node "$n"; if running; then return 0; fi; done; return 1; }

java_cmd() { echo "${JAVA_HOME:+$JAVA_HOME/bin/}java"; }

# A class of the broker's jars (StorageTool, ConfigCommand, ...): a JVM start, a few seconds each.
kafka_tool() { "$(java_cmd)" -cp "$libs/*" -Dlog4j.configuration="file:$here/tools/kafka/log4j.properties" "$@"; }

# The principals of the topic table, "<name> <role>" per line (one ts-node run, about a second).
setup_tool() {
  [ -x "$here/node_modules/.bin/ts-node" ] || die "node_modules is missing: run npm ci first"
  "$here/node_modules/.bin/ts-node" --transpile-only -O '{"module":"commonjs"}' "$here/scripts/kafka-setup.ts" "$@"
}

new_password() { openssl rand -hex 24; }

# ---- TLS: a CA per data dir, and each node's certificate (SAN IP:127.0.0.1, DNS:localhost) ----

make_ca() {
  [ -f "$secrets/ca.pem" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=slidecharge development Kafka CA" \
    -keyout "$secrets/ca.key" -out "$secrets/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# Issued again when missing or within 30 days of its end. CN=broker is the broker's principal on the
# controller listener (ssl.principal.mapping.rules below); each node of a cluster has its own key.
make_broker_cert() {
  if [ -f "$secrets/$cert.pem" ] && openssl x509 -checkend 2592000 -noout -in "$secrets/$cert.pem" >/dev/null; then return; fi
  openssl req -newkey rsa:2048 -nodes -subj "/CN=broker" -keyout "$secrets/$cert.key" -out "$secrets/$cert.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$secrets/$cert.ext"
  openssl x509 -req -days 825 -in "$secrets/$cert.csr" -CA "$secrets/ca.pem" -CAkey "$secrets/ca.key" \
    -CAcreateserial -extfile "$secrets/$cert.ext" -out "$secrets/$cert.pem" 2>/dev/null
  cat "$secrets/$cert.key" "$secrets/$cert.pem" >"$secrets/$cert-keystore.pem"
  rm -f "$secrets/$cert.csr" "$secrets/$cert.ext"
}

# ---- SCRAM users ----

write_admin_properties() {
  cat >"$secrets/admin.properties" <<PROPS
# Kafka CLI tools as admin: kafka-topics.sh --bootstrap-server $(bootstrap) --command-config $secrets/admin.properties
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

# Formats the node's log dir with a random SCRAM-SHA-512 password per principal (StorageTool --add-scram);
# the nodes of a cluster share the cluster id and the passwords.
format_node() {
  local principals="$1" cid="$2" args=() name
  for name in $(awk '{print $1}' <<<"$principals"); do
    [ -f "$secrets/$name.password" ] || new_password >"$secrets/$name.password"
    args+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$(cat "$secrets/$name.password")]")
  done
  kafka_tool kafka.tools.StorageTool format -t "$cid" -c "$conf" "${args[@]}" >/dev/null
}

format() {
  local principals="$1" cid n
  cid="$(kafka_tool kafka.tools.StorageTool random-uuid | tail -1)"
  if [ "$nodes" -eq 1 ]; then
    use_node 1 && format_node "$principals" "$cid"
  else
    # Passwords first, so the nodes formatted side by side get the same ones.
    for name in $(awk '{print $1}' <<<"$principals"); do [ -f "$secrets/$name.password" ] || new_password >"$secrets/$name.password"; done
    local formatting=()
    for n in $(node_numbers); do (use_node "$n" && format_node "$principals" "$cid") & formatting+=($!); done
    for n in "${formatting[@]}"; do wait "$n" || die "formatting a node of $data failed"; done
  fi
  write_admin_properties
  echo "sasl_ssl scram-sha-512 mtls-controller v1" >"$secured"
  say "formatted $data: CA, broker certificate$([ "$nodes" -eq 1 ] || echo "s of $nodes nodes") and SCRAM users ($(awk '{print $1}' <<<"$principals" | paste -sd, -))"
}

# controller.quorum.voters: every node of the data dir.
voters() { local n; for n in $(node_numbers); do echo "$n@127.0.0.1:$((cport + 2 * (n - 1)))"; done | paste -sd, -; }

# Replication of a single node (1) or of a cluster (3 replicas, writes acknowledged by at least 2).
replication_settings() {
  if [ "$nodes" -eq 1 ]; then
    printf '%s\n' offsets.topic.replication.factor=1 offsets.topic.num.partitions=10 transaction.state.log.replication.factor=1 \
      transaction.state.log.min.isr=1 transaction.state.log.num.partitions=4 default.replication.factor=1 min.insync.replicas=1
  else
    printf '%s\n' offsets.topic.replication.factor=3 offsets.topic.num.partitions=10 transaction.state.log.replication.factor=3 \
      transaction.state.log.min.isr=2 transaction.state.log.num.partitions=4 default.replication.factor=3 min.insync.replicas=2 \
      unclean.leader.election.enable=false
  fi
}

write_config() {
  local principals="$1" supers listeners="CLIENT://127.0.0.1:$nport,CONTROLLER://127.0.0.1:$ncport"
  local advertised="CLIENT://127.0.0.1:$nport" protocols="CLIENT:SASL_SSL,CONTROLLER:SSL"
  supers="$(awk '$2 == "super" {printf "%sUser:%s", sep, $1; sep=";"}' <<<"$principals")"
  if [ -n "$proxy_port" ]; then
    listeners+=",PROXIED://127.0.0.1:$nproxy_bound"
    advertised+=",PROXIED://127.0.0.1:$nproxy"
    protocols+=",PROXIED:SASL_SSL"
  fi
  cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$(voters)
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
# Clients: SCRAM-SHA-512 over TLS. The broker itself is the SCRAM user "broker".
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$(cat "$secrets/broker.password")";
ssl.keystore.type=PEM
ssl.keystore.location=$secrets/$cert-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
# Controller: mutual TLS, only certificates of this data dir's CA (the broker's own); CN=broker -> User:broker.
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=$supers
log.dirs=$ndir/logs
num.partitions=3
auto.create.topics.enable=false
$(replication_settings)
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
  # The proxied listener's SCRAM, as the client listener's.
  if [ -n "$proxy_port" ]; then grep '^listener.name.client.scram-sha-512.sasl.jaas.config=' "$conf" | sed 's/^listener.name.client./listener.name.proxied./' >>"$conf"; fi
}

# ---- settings of a principal ----

principal_env() {
  local name="$1"
  [ -f "$secrets/$name.password" ] || die "no principal '$name' in $data (known: $(cd "$secrets" 2>/dev/null && ls -- *.password 2>/dev/null | sed 's/\.password$//' | paste -sd' ' -))"
  cat <<ENV
KAFKA_BROKERS=$(bootstrap)
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
  any_running || die "the broker is not running (scripts/kafka.sh start)"
  password="$(new_password)"
  printf 'SCRAM-SHA-512=password=%s\n' "$password" >"$secrets/.scram-$name.properties"
  kafka_tool kafka.admin.ConfigCommand \
    --bootstrap-server "$(bootstrap)" --command-config "$secrets/admin.properties" --alter \
    --entity-type users --entity-name "$name" --add-config-file "$secrets/.scram-$name.properties" >/dev/null
  rm -f "$secrets/.scram-$name.properties"
  printf '%s\n' "$password" >"$secrets/$name.password.new" && mv "$secrets/$name.password.new" "$secrets/$name.password"
  if [ "$name" = admin ]; then write_admin_properties; fi
  say "new SCRAM password for $name in $secrets/$name.password"
}

# ---- start ----

pids() { local n; for n in $(node_numbers); do use_node "$n"; cat "$pidfile"; done | paste -sd' ' -; }

# Topics and ACLs from the topic table, as admin; skipped while the broker and the table are unchanged.
setup() {
  local principals="$1" want name
  want="$(pids) $(cat "$here/libs/contracts/src/kafka-principals.ts" "$here/libs/contracts/src/kafka-access.ts" \
    "$here/libs/contracts/src/topics.ts" "$here/scripts/kafka-setup.ts" | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  [ -n "$principals" ] || principals="$(setup_tool principals)"
  for name in $(awk '{print $1}' <<<"$principals"); do
    [ -f "$secrets/$name.password" ] || set_password "$name"
  done
  (set -a && eval "$(principal_env admin)" && setup_tool apply) >&2
  echo "$want" >"$stamp"
}

# Waits until the node serves (a node of a cluster also waits for a quorum of controllers: the nodes
# start side by side, and each is told apart by its own log).
wait_ready() {
  local tries=$((nodes == 1 ? 120 : 360)) where
  where="127.0.0.1:$nport$([ "$nodes" -eq 1 ] || echo " (node $node)")"
  for _ in $(seq 1 "$tries"); do
    if port_open "$nport" && grep -q "Kafka Server started" "$log" 2>/dev/null; then
      say "ready on $where (SASL_SSL; settings: scripts/kafka.sh env <principal>)"
      if [ -n "$proxy_port" ]; then say "proxied listener on 127.0.0.1:$nproxy_bound, advertised as 127.0.0.1:$nproxy (the fault proxy's)"; fi
      return
    fi
    if ! running; then say "broker exited; last lines of $log:"; tail -30 "$log" >&2; exit 1; fi
    sleep 0.5
  done
  die "not ready after $((tries / 2)) s; see $log"
}

launch() {
  say "starting on 127.0.0.1:$nport$([ "$nodes" -eq 1 ] || echo " (node $node, controller $ncport)") (log: $log)"
  nohup "$(java_cmd)" "-Xmx${KAFKA_HEAP:-512m}" "-Xms${KAFKA_HEAP:-512m}" \
    -Dlog4j.configuration="file:$here/tools/kafka/log4j.properties" -Dkafka.logs.dir="$ndir" \
    -cp "$libs/*" kafka.Kafka "$conf" >"$log" 2>&1 &
  echo $! >"$pidfile"
}

# Fails when another process holds the client port of a node that is not running.
check_ports_free() {
  local n
  for n in "$@"; do
    use_node "$n"
    if ! running && port_open "$nport"; then die "something else listens on 127.0.0.1:$nport"; fi
    if ! running && [ -n "$proxy_port" ] && port_open "$nproxy_bound"; then die "something else listens on 127.0.0.1:$nproxy_bound (KAFKA_PROXY_BROKER_PORT)"; fi
  done
}

# The given nodes' directories, certificates and configuration (written at each start).
prepare() {
  local principals="$1" n
  shift
  for n in "$@"; do
    use_node "$n"
    mkdir -p "$ndir/logs"
    make_broker_cert
    write_config "$principals"
  done
}

start() {
  recreate_if_unsecured
  local n down=""
  for n in $(node_numbers); do use_node "$n"; running && port_open "$nport" || down+=" $n"; done
  if [ -z "$down" ]; then
    if [ -n "$proxy_port" ] && ! port_open "$nproxy_bound"; then
      die "running without the proxied listener on 127.0.0.1:$nproxy_bound: stop it and start again with KAFKA_PROXY_PORT set"
    fi
    setup ""; say "already running on $(bootstrap)"; return
  fi
  # shellcheck disable=SC2086 # node numbers
  check_ports_free $down
  fetch
  mkdir -p "$secrets" && chmod 700 "$data" "$secrets"
  if [ "$nodes" -gt 1 ]; then echo "$nodes" >"$cluster_file"; fi
  local principals
  principals="$(setup_tool principals)"
  make_ca
  [ -f "$secrets/broker.password" ] || new_password >"$secrets/broker.password"
  # shellcheck disable=SC2086
  prepare "$principals" $down
  use_node 1
  if [ ! -f "$ndir/logs/meta.properties" ]; then format "$principals"; fi
  for n in $down; do use_node "$n"; running || launch; done
  for n in $down; do use_node "$n"; wait_ready; done
  setup "$principals"
}

# Starts one node of a cluster again (after kill or stop-node); the topics and ACLs are already there.
start_node() {
  use_node "$1"
  if running && port_open "$nport"; then say "node $node already runs on 127.0.0.1:$nport"; return; fi
  [ -f "$ndir/logs/meta.properties" ] || die "node $node of $data was never formatted: scripts/kafka.sh start"
  check_ports_free "$1"
  prepare "$(setup_tool principals)" "$1"
  launch
  wait_ready
}

stop_node() {
  use_node "$1"
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$pidfile")" || true
  fi
  rm -f "$pidfile"
}

# A crash: SIGKILL, no controlled shutdown; returns once the process is gone.
kill_node() {
  use_node "$1"
  running || die "node $node is not running"
  kill -9 "$(cat "$pidfile")"
  for _ in $(seq 1 100); do running || break; sleep 0.05; done
  rm -f "$pidfile"
  say "node $node killed (SIGKILL)"
}

# All nodes at once: each then finds the others gone, instead of waiting in turn for a quorum.
stop() {
  local n
  for n in $(node_numbers); do (stop_node "$n") & done
  wait
  say "stopped"
}

status() {
  local n all=0
  if [ "$nodes" -eq 1 ]; then use_node 1; port_open "$nport"; return; fi
  for n in $(node_numbers); do
    use_node "$n"
    if running && port_open "$nport"; then echo "node $n 127.0.0.1:$nport up (pid $(cat "$pidfile"))"; else echo "node $n 127.0.0.1:$nport down"; all=1; fi
  done
  return "$all"
}

logs() {
  if [ -n "${1:-}" ]; then node_arg logs "$1"; use_node "$1"; tail -f "$log"; return; fi
  local n files=()
  for n in $(node_numbers); do use_node "$n"; files+=("$log"); done
  tail -f "${files[@]}"
}

# The quorum and the partitions as the cluster reports them (tools/kafka/ClusterStatus.java, run as
# admin from its source by the JDK: no build step).
cluster_status() {
  any_running || die "the broker is not running (scripts/kafka.sh start)"
  "$(java_cmd)" -cp "$libs/*" -Dlog4j.configuration="file:$here/tools/kafka/log4j.properties" \
    "$here/tools/kafka/ClusterStatus.java" "$(bootstrap)" "$secrets/admin.properties" "$1"
}

command="${1:-start}"
shift || true
wanted="${KAFKA_BROKERS_COUNT:-}"
if [ "$command" = start ] && [ "${1:-}" = --cluster ]; then wanted="${2:?usage: $0 start --cluster N}"; fi
if [ -n "$wanted" ] && ! { [[ "$wanted" =~ ^[0-9]+$ ]] && { [ "$wanted" -eq 1 ] || { [ "$wanted" -ge 3 ] && [ "$wanted" -le 5 ]; }; }; }; then
  die "KAFKA_BROKERS_COUNT (--cluster) is 1 (a single node) or 3 to 5, not $wanted"
fi
nodes="$(nodes_of_data_dir "$([ "$command" = start ] && echo "$wanted")")"
# A single node keeps its controller on 9093 unless told; a cluster's controllers follow KAFKA_PORT.
if [ "$nodes" -eq 1 ]; then cport="${KAFKA_CONTROLLER_PORT:-9093}"; else cport="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"; fi
if [ -n "$(for n in $(node_numbers); do use_node "$n"; echo "$nport $ncport ${proxy_port:+$nproxy $nproxy_bound}"; done | tr ' ' '\n' | sed '/^$/d' | sort | uniq -d)" ]; then
  die "KAFKA_PORT $port, KAFKA_CONTROLLER_PORT $cport${proxy_port:+, KAFKA_PROXY_PORT $proxy_port and KAFKA_PROXY_BROKER_PORT $proxy_broker_port} give nodes the same port (node N uses each plus 2(N-1))"
fi
use_node 1

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) logs "${1:-}" ;;
  reset) stop; rm -rf "$data" ;;
  env) principal_env "${1:?usage: $0 env PRINCIPAL}" ;;
  rotate) [ -f "$secrets/${1:?usage: $0 rotate PRINCIPAL}.password" ] || die "no principal '$1' in $data"; set_password "$1" ;;
  acls) setup_tool acls ;;
  kill) if [ "$nodes" -eq 1 ] && [ -z "${1:-}" ]; then kill_node 1; else node_arg kill "${1:-}"; kill_node "$1"; fi ;;
  stop-node) node_arg stop-node "${1:-}"; stop_node "$1"; say "node $1 stopped" ;;
  start-node) node_arg start-node "${1:-}"; start_node "$1" ;;
  quorum | topics) cluster_status "$command" ;;
  *) echo "usage: $0 start [--cluster N]|stop|status|logs [N]|reset|env PRINCIPAL|rotate PRINCIPAL|acls|kill [N]|stop-node N|start-node N|quorum|topics" >&2; exit 2 ;;
esac
