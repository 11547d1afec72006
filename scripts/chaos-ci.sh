#!/usr/bin/env bash
# The short fault campaign as CI runs it (.ci/run, after npm test), or anyone who wants the same run:
# a Kafka broker of its own (scripts/kafka.sh on 127.0.0.1:19092, so the campaign's broker restarts
# touch no one else's broker and the stack's consumer groups start on empty topics), the stack on a
# database of its own, `node scripts/chaos.mjs` with its short defaults (2,000 scan events, every
# service SIGKILLed once, one broker and one Postgres restart), then the stack and that broker stopped.
# It restarts the local PostgreSQL cluster of DATABASE_URL's port (immediate mode): run it on a machine
# whose Postgres nobody else is using at that moment. Extra arguments go to scripts/chaos.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The caller's Kafka settings (e.g. the test harness's admin principal) are not the campaign's.
for name in $(env | grep -o '^KAFKA_[A-Z_]*' || true); do unset "$name"; done
export KAFKA_PORT="${CHAOS_KAFKA_PORT:-19092}" KAFKA_CONTROLLER_PORT="${CHAOS_KAFKA_CONTROLLER_PORT:-19093}"
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
export DATABASE_URL="${CHAOS_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/slidecharge_chaos}"
mkdir -p tmp

finish() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "== the campaign failed; the last lines of each service's log (tmp/stack/*.log):"
    for f in tmp/stack/*.log; do echo "-- $f"; tail -n 15 "$f" | cut -c1-400; done
  fi
  bash scripts/stack.sh down --keep-kafka || true
  bash scripts/kafka.sh stop || true
  exit "$rc"
}
trap finish EXIT

started=$(date +%s)
bash scripts/stack.sh up --no-demo >tmp/chaos-stack.log 2>&1 || { tail -n 40 tmp/chaos-stack.log; exit 1; }
echo "== stack up on its own broker ($KAFKA_BROKERS) and database in $(( $(date +%s) - started )) s; the campaign:"
node scripts/chaos.mjs "$@"
