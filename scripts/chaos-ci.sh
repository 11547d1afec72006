#!/usr/bin/env bash
# The short fault campaign as CI runs it (.ci/run, after npm test), or anyone who wants the same run:
# a Kafka broker of its own (scripts/kafka.sh on 127.0.0.1:19092, so the campaign's broker restarts
# touch no one else's broker and the stack's consumer groups start on empty topics), the stack on a
# database of its own, the services behind TCP fault proxies toward Kafka and Postgres, `node
# scripts/chaos.mjs` with its short defaults (2,000 scan events, every service SIGKILLed once, one broker
# and one Postgres restart, two network faults), then the stack, the proxies and that broker stopped.
# It restarts the local PostgreSQL cluster of DATABASE_URL's port (immediate mode): run it on a machine
# whose Postgres nobody else is using at that moment. Extra arguments go to scripts/chaos.mjs.
#
#   scripts/chaos-ci.sh [--cluster N] [chaos.mjs arguments]
# --cluster 3: the campaign on a three-node KRaft cluster of its own (scripts/kafka.sh start --cluster 3 on
# 127.0.0.1:19192/19194/19196, replication factor 3, min.insync.replicas 2), one fault proxy per node,
# and each broker fault SIGKILLs one node in turn: the leader of billing.charges.v1's partition 0, the
# active controller, a follower (scripts/chaos/faults.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
# The campaign and the stack it starts run on Node.js 24 (scripts/node24.sh).
source scripts/node24.sh
ensure_node24
nodes=1
if [ "${1:-}" = --cluster ]; then nodes="${2:?usage: $0 [--cluster N] [chaos.mjs arguments]}"; shift 2; fi
# The caller's Kafka settings (e.g. the test harness's admin principal) are not the campaign's.
for name in $(env | grep -o '^KAFKA_[A-Z_]*' || true); do unset "$name"; done
# A single broker on 19092 or a cluster on 19192 (each its own data dir: a data dir keeps its node count).
if [ "$nodes" -eq 1 ]; then base=19092; else base=19192; fi
export KAFKA_PORT="${CHAOS_KAFKA_PORT:-$base}" KAFKA_CONTROLLER_PORT="${CHAOS_KAFKA_CONTROLLER_PORT:-$((base + 1))}"
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" CHAOS_KAFKA_NODES="$nodes"
export DATABASE_URL="${CHAOS_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/slidecharge_chaos}"
mkdir -p tmp

# The services reach Kafka and Postgres through fault proxies of the campaign's (scripts/fault-proxy.ts),
# which --network-faults drives: Kafka through the broker's second listener advertised on the proxy's
# port (KAFKA_PROXY_PORT of scripts/kafka.sh), Postgres through a proxy in front of DATABASE_URL's port.
# The scripts and the campaign's own checks keep the direct path.
# Node N's proxy listens on KAFKA_PROXY_PORT+2(N-1) and forwards to the node's proxied listener, one port up.
export KAFKA_PROXY_PORT="${CHAOS_KAFKA_PROXY_PORT:-$((base + (nodes == 1 ? 2 : 100)))}"
pg_port=$(node -e 'console.log(new URL(process.argv[1]).port || 5432)' "$DATABASE_URL")
pg_proxy_port="${CHAOS_POSTGRES_PROXY_PORT:-15432}"
start_proxy() {
  local name=$1 listen=$2 upstream=$3 line=""
  node_modules/.bin/ts-node --transpile-only -O '{"module":"commonjs"}' scripts/fault-proxy.ts --name "$name" --listen "$listen" --upstream "$upstream" >"tmp/fault-proxy-$name.log" 2>&1 &
  echo $! >"tmp/fault-proxy-$name.pid"
  for _ in $(seq 1 100); do line=$(head -n 1 "tmp/fault-proxy-$name.log"); [[ "$line" == "{"* ]] && break; sleep 0.1; done
  [[ "$line" == "{"* ]] || { echo "fault proxy $name did not start: $(cat "tmp/fault-proxy-$name.log")" >&2; exit 1; }
  node -e 'console.log(JSON.parse(process.argv[1]).control)' "$line"
}

finish() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "== the campaign failed; the last lines of each service's log (tmp/stack/*.log):"
    for f in tmp/stack/*.log; do echo "-- $f"; tail -n 15 "$f" | cut -c1-400; done
  fi
  bash scripts/stack.sh down --keep-kafka || true
  bash scripts/kafka.sh stop || true
  for f in tmp/fault-proxy-*.pid; do if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; fi; done
  exit "$rc"
}
trap finish EXIT

kafka_controls=() service_brokers=()
for n in $(seq 1 "$nodes"); do
  listen=$((KAFKA_PROXY_PORT + 2 * (n - 1)))
  kafka_controls+=("$(start_proxy "kafka-$n" "127.0.0.1:$listen" "127.0.0.1:$((listen + 1))")")
  service_brokers+=("127.0.0.1:$listen")
done
CHAOS_KAFKA_PROXY_CONTROL=$(IFS=,; echo "${kafka_controls[*]}")
CHAOS_POSTGRES_PROXY_CONTROL=$(start_proxy postgres "127.0.0.1:$pg_proxy_port" "127.0.0.1:$pg_port")
export CHAOS_KAFKA_PROXY_CONTROL CHAOS_POSTGRES_PROXY_CONTROL
export SERVICES_KAFKA_BROKERS=$(IFS=,; echo "${service_brokers[*]}") SERVICES_DATABASE_PORT="$pg_proxy_port"

started=$(date +%s)
# The cluster first: stack.sh then finds it running (its data dir remembers the node count).
if [ "$nodes" -gt 1 ]; then bash scripts/kafka.sh start --cluster "$nodes" >tmp/chaos-kafka.log 2>&1 || { tail -n 40 tmp/chaos-kafka.log; exit 1; }; fi
bash scripts/stack.sh up --no-demo >tmp/chaos-stack.log 2>&1 || { tail -n 40 tmp/chaos-stack.log; exit 1; }
echo "== stack up on its own $([ "$nodes" -eq 1 ] && echo broker || echo "$nodes-node cluster") ($KAFKA_BROKERS) and database in $(( $(date +%s) - started )) s; the campaign:"
node scripts/chaos.mjs "$@"
