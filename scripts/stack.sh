#!/usr/bin/env bash
# The whole stack on this machine, no Docker needed:
#   scripts/stack.sh up      install, start Kafka (SASL_SSL, ACLs), create the database, migrate, build,
#                            start a billing-system simulator (MLLP :2576) and the four services in the
#                            background, each with its own Kafka principal, wait until each is ready,
#                            run the demos (REST, then HL7)
#   scripts/stack.sh down    stop the four services (SIGTERM: they finish in-flight work) and Kafka
#   scripts/stack.sh status  readiness of each service
# Logs: tmp/stack/<service>.log (JSON lines), tmp/stack/billing-system-sim.log (the DFT^P03 received).
# Ports: accession 3001 (HL7 orders over MLLP: 2575), scanner-events 3002, qc 3003, billing 3004
# (delivers DFT^P03 over MLLP to the simulator on 2576; set BILLING_DFT_HOST/PORT to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# scanner-events wants an API key on its HTTP API. The stack starts it with this development key
# (logged as a warning; scripts/demo.mjs and scripts/bench.mjs send it). Never use it in production:
# there, make keys with POST /api-keys (services/scanner-events/README.md).
: "${SCANNER_DEV_API_KEY:=sck_devstack_local-stack-key-not-a-secret-0000}"
export SCANNER_DEV_API_KEY

# billing delivers charges as HL7 DFT^P03 to this billing system (the simulator, unless you name another).
SIM_PORT=2576
: "${BILLING_DFT_HOST:=127.0.0.1}"
: "${BILLING_DFT_PORT:=$SIM_PORT}"
export BILLING_DFT_HOST BILLING_DFT_PORT

SERVICES=(accession scanner-events qc billing)
declare -A PORTS=([accession]=3001 [scanner-events]=3002 [qc]=3003 [billing]=3004)
dir=tmp/stack
mkdir -p "$dir"

ready() { curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; }

up() {
  ensure_install
  ensure_kafka
  ensure_database
  echo "== building services"
  npx nx run-many -t build -p "${SERVICES[@]}" --outputStyle=static
  if [ "$BILLING_DFT_HOST:$BILLING_DFT_PORT" = "127.0.0.1:$SIM_PORT" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$SIM_PORT") 2>/dev/null; then
    nohup node scripts/billing-system-sim.mjs --port "$SIM_PORT" >>"$dir/billing-system-sim.log" 2>&1 &
    echo $! >"$dir/billing-system-sim.pid"
    echo "billing-system simulator listening on 127.0.0.1:$SIM_PORT (log: $dir/billing-system-sim.log)"
  fi
  for s in "${SERVICES[@]}"; do
    port=${PORTS[$s]}
    if ready "$port"; then echo "$s already running on :$port"; continue; fi
    # Each service connects to Kafka as its own principal (scripts/kafka.sh env <service>).
    (
      settings="$(kafka_principal_env "$s")"
      if [ -n "$settings" ]; then set -a; eval "$settings"; set +a; fi
      PORT=$port exec nohup node "dist/services/$s/services/$s/src/main.js" >>"$dir/$s.log" 2>&1
    ) &
    echo $! >"$dir/$s.pid"
  done
  for s in "${SERVICES[@]}"; do
    port=${PORTS[$s]}
    for _ in $(seq 1 120); do ready "$port" && break; sleep 0.5; done
    if ready "$port"; then echo "$s ready on http://127.0.0.1:$port (API docs: /docs)"; else echo "$s not ready; see $dir/$s.log" >&2; tail -20 "$dir/$s.log" >&2; exit 1; fi
  done
  if [ "${1:-}" != "--no-demo" ]; then node scripts/demo.mjs && node scripts/demo-hl7.mjs; fi
}

down() {
  for s in "${SERVICES[@]}"; do
    if [ -f "$dir/$s.pid" ] && kill -0 "$(cat "$dir/$s.pid")" 2>/dev/null; then
      kill -TERM "$(cat "$dir/$s.pid")"
      for _ in $(seq 1 40); do kill -0 "$(cat "$dir/$s.pid")" 2>/dev/null || break; sleep 0.5; done
      echo "$s stopped"
    fi
    rm -f "$dir/$s.pid"
  done
  if [ -f "$dir/billing-system-sim.pid" ]; then
    kill -INT "$(cat "$dir/billing-system-sim.pid")" 2>/dev/null && echo "billing-system simulator stopped" || true
    rm -f "$dir/billing-system-sim.pid"
  fi
  [ "${1:-}" = "--keep-kafka" ] || bash scripts/kafka.sh stop
}

status() {
  for s in "${SERVICES[@]}"; do
    port=${PORTS[$s]}
    printf '%-15s ' "$s"; curl -sS "http://127.0.0.1:$port/health/ready" || echo "down"; echo
  done
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  down) shift || true; down "$@" ;;
  status) status ;;
  *) echo "usage: $0 up [--no-demo] | down [--keep-kafka] | status" >&2; exit 2 ;;
esac
