#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) on 127.0.0.1 for development, tests and CI.
# The broker jars come from Maven Central once (tools/kafka/pom.xml) and are cached under
# $SLIDECHARGE_CACHE (default: ~/.cache/slidecharge), so a second start needs no download.
#
#   scripts/kafka.sh start    fetch if needed, format storage if new, start, wait until ready
#   scripts/kafka.sh stop     stop the broker started by this script
#   scripts/kafka.sh status   exit 0 when the broker answers on its port
#   scripts/kafka.sh logs     tail the broker log
#
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_DATA_DIR (<cache>/kafka-data), KAFKA_HEAP (512m).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SLIDECHARGE_CACHE:-$HOME/.cache/slidecharge}"
port="${KAFKA_PORT:-9092}"
cport="${KAFKA_CONTROLLER_PORT:-9093}"
libs="$cache/kafka-libs"
data="${KAFKA_DATA_DIR:-$cache/kafka-data-$port}"
conf="$data/server.properties"
pidfile="$data/kafka.pid"
log="$data/kafka.log"

fetch() {
  if [ -f "$libs/.complete" ]; then return; fi
  echo "kafka: fetching broker jars from Maven Central into $libs" >&2
  rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
  mvn -q -B -f "$here/tools/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
  rm -rf "$libs" && mv "$libs.tmp" "$libs" && touch "$libs/.complete"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

write_config() {
  mkdir -p "$data/logs"
  cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
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

java_cmd() { echo "${JAVA_HOME:+$JAVA_HOME/bin/}java"; }

start() {
  if running && port_open "$port"; then echo "kafka: already running on 127.0.0.1:$port"; return; fi
  if port_open "$port"; then echo "kafka: something else listens on 127.0.0.1:$port" >&2; exit 1; fi
  fetch
  write_config
  if [ ! -f "$data/logs/meta.properties" ]; then
    cid="$(java_cmd)"; cid="$("$cid" -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    "$(java_cmd)" -cp "$libs/*" kafka.tools.StorageTool format -t "$cid" -c "$conf" >&2
  fi
  echo "kafka: starting on 127.0.0.1:$port (log: $log)" >&2
  nohup "$(java_cmd)" "-Xmx${KAFKA_HEAP:-512m}" "-Xms${KAFKA_HEAP:-512m}" \
    -Dlog4j.configuration="file:$here/tools/kafka/log4j.properties" -Dkafka.logs.dir="$data" \
    -cp "$libs/*" kafka.Kafka "$conf" >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if port_open "$port" && grep -q "Kafka Server started\|\[KafkaRaftServer nodeId=1\] Kafka Server started" "$log" 2>/dev/null; then
      echo "kafka: ready on 127.0.0.1:$port" >&2; return
    fi
    if ! running; then echo "kafka: broker exited; last lines of $log:" >&2; tail -30 "$log" >&2; exit 1; fi
    sleep 0.5
  done
  echo "kafka: not ready after 60 s; see $log" >&2; exit 1
}

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$pidfile")" || true
  fi
  rm -f "$pidfile"; echo "kafka: stopped" >&2
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) port_open "$port" ;;
  logs) tail -f "$log" ;;
  reset) stop; rm -rf "$data" ;;
  *) echo "usage: $0 start|stop|status|logs|reset" >&2; exit 2 ;;
esac
