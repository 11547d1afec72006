#!/usr/bin/env bash
# The whole stack on this machine, no Docker needed:
#   scripts/stack.sh up      install, start Kafka (SASL_SSL, ACLs) and the development identity provider
#                            (Keycloak), create the database and the services' Postgres roles, migrate
#                            (each service as its own role), build, start a billing-system simulator
#                            (MLLP :2576) and the four services in the background, each with its own
#                            Kafka principal and Postgres role, wait until each is ready, then the ops
#                            console's server (:3005, after the four), run the demos (REST, then HL7)
#   scripts/stack.sh down    stop the ops console and the four services (SIGTERM: they finish in-flight work), Kafka and
#                            the identity provider
#   scripts/stack.sh status  readiness of each service
#   scripts/stack.sh kill SERVICE...   SIGKILL a service (no shutdown hook runs: a crash, for the fault
#                            campaign, scripts/chaos.mjs)
#   scripts/stack.sh start SERVICE...  start stopped services as `up` does and wait until they are ready
#   scripts/stack.sh scale SERVICE...  start a second instance of running consuming services (scanner-events,
#                            qc, billing, ops-console) in the same consumer group, named <service>-2, on
#                            the service's port + 100 (benchmarks of 1 and 2 instances; `down` stops it;
#                            ops-console-2 projects and answers its API, browsers sign in on :3005, the
#                            origin the identity provider knows)
#   scripts/stack.sh stop SERVICE...   stop services or instances (SIGTERM: in-flight work finished), e.g. billing-2
# Logs: tmp/stack/<service>.log (JSON lines), tmp/stack/billing-system-sim.log (the DFT^P03 received).
# Ports: accession 3001 (HL7 orders over MLLP: 2575), scanner-events 3002, qc 3003, billing 3004
# (delivers DFT^P03 over MLLP to the simulator on 2576; set BILLING_DFT_HOST/PORT to use another),
# ops console 3005 (its web front end at /, built by npx nx run ops-console-web:build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# The stack is a development stack: development keys allowed, docs and metrics open, plain Kafka allowed.
export SLIDECHARGE_ENV=development
# scanner-events wants an API key on its HTTP API. The stack starts it with a development key made once
# per machine (random, in the secrets folder; `node scripts/token.mjs --scanner-key` prints it; the demos
# and the benchmark send it). scanner-events refuses it outside development and deletes it when unset.
# In production, integration admins make keys with POST /api-keys (services/scanner-events/README.md).
: "${SCANNER_DEV_API_KEY:=$(node scripts/token.mjs --scanner-key)}"
export SCANNER_DEV_API_KEY

# billing delivers charges as HL7 DFT^P03 to this billing system (the simulator, unless you name another).
SIM_PORT=2576
: "${BILLING_DFT_HOST:=127.0.0.1}"
: "${BILLING_DFT_PORT:=$SIM_PORT}"
export BILLING_DFT_HOST BILLING_DFT_PORT

SERVICES=(accession scanner-events qc billing)
# The ops console's server starts after the four (it reads them) and stops before them.
CONSOLE=ops-console
declare -A PORTS=([accession]=3001 [scanner-events]=3002 [qc]=3003 [billing]=3004 [ops-console]=3005)
# Second instances (scale): the consuming services only (accession's MLLP port is one per machine).
SCALABLE=(scanner-events qc billing ops-console)
for s in "${SCALABLE[@]}"; do PORTS[$s-2]=$((PORTS[$s] + 100)); done
# The console estimates values with the example fee schedule unless told otherwise.
: "${OPS_CONSOLE_FEE_SCHEDULE_FILE:=ops/fee-schedule.example.json}"
export OPS_CONSOLE_FEE_SCHEDULE_FILE
dir=tmp/stack
mkdir -p "$dir"

ready() { curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; }

up() {
  ensure_install
  ensure_kafka
  ensure_idp
  ensure_database
  echo "== building services"
  npx nx run-many -t build -p "${SERVICES[@]}" "$CONSOLE" ops-console-web --outputStyle=static
  if [ "$BILLING_DFT_HOST:$BILLING_DFT_PORT" = "127.0.0.1:$SIM_PORT" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$SIM_PORT") 2>/dev/null; then
    nohup node scripts/billing-system-sim.mjs --port "$SIM_PORT" >>"$dir/billing-system-sim.log" 2>&1 &
    echo $! >"$dir/billing-system-sim.pid"
    echo "billing-system simulator listening on 127.0.0.1:$SIM_PORT (log: $dir/billing-system-sim.log)"
  fi
  start_services "${SERVICES[@]}"
  wait_ready "${SERVICES[@]}"
  start_services "$CONSOLE"
  wait_ready "$CONSOLE"
  if [ "${1:-}" != "--no-demo" ]; then node scripts/demo.mjs && node scripts/demo-hl7.mjs; fi
  cat <<EOF

Every API call needs a credential (docs/security.md). Tokens from the development identity provider
($OIDC_ISSUER), one user per role:
  curl -H "Authorization: Bearer \$(node scripts/token.mjs billing-reviewer)" http://127.0.0.1:3004/review-queue
  node scripts/token.mjs --list         billing-reviewer, billing-admin, integration-admin, ops-viewer,
                                        lis-integration, billing-system (FHIR), ops-dashboard
  node scripts/token.mjs --scanner-key  the scanner middleware's development API key (X-API-Key)

The ops console: http://127.0.0.1:3005/  (one user per role; password: node scripts/token.mjs --password <role>)
  ops-viewer         user "ops-viewer"         reads every view, changes nothing
  billing-reviewer   user "reviewer"           releases and voids held charges, dismisses unmatched scans
  billing-admin      user "billing-admin"      retries DFT deliveries, replays dead letters
  integration-admin  user "integration-admin"  inspects and replays dead letters (and reads the HL7 log)
EOF
}

# Starts services in the background, each connected to Kafka as its own principal (scripts/kafka.sh
# env <service>) and to Postgres as its own role (made by ensure_database), never as the administrator.
start_services() {
  for s in "$@"; do
    port=${PORTS[$s]}
    if ready "$port"; then echo "$s already running on :$port"; continue; fi
    # An instance <service>-2 is the service's program with its principal and role, on its own port.
    local service=${s%-2}
    db_url=$(node scripts/service-database-url.mjs "$service")
    (
      settings="$(kafka_principal_env "$service")"
      if [ -n "$settings" ]; then set -a; eval "$settings"; set +a; fi
      # The fault campaign puts its TCP fault proxies between the services and Kafka / Postgres
      # (scripts/chaos-ci.sh): the services then bootstrap at SERVICES_KAFKA_BROKERS and reach Postgres on
      # SERVICES_DATABASE_PORT; the scripts (migrations, topic setup) keep the direct path.
      if [ -n "${SERVICES_KAFKA_BROKERS:-}" ]; then export KAFKA_BROKERS="$SERVICES_KAFKA_BROKERS"; fi
      if [ -n "${SERVICES_DATABASE_PORT:-}" ]; then db_url=$(node -e 'const u = new URL(process.argv[1]); u.port = process.argv[2]; console.log(u.href)' "$db_url" "$SERVICES_DATABASE_PORT"); fi
      # The V8 heap is capped (SERVICE_HEAP_MB, default 160): without a cap V8 lets the heap grow to
      # 200+ MB of mostly garbage under a burst (RSS 300 MB); the live set stays under 100 MB. Two
      # malloc arenas keep native memory from fragmenting across threads (docs/operations.md, "Memory").
      # The young generation is capped too (SERVICE_SEMI_SPACE_MB, default 16, Node 20's default): Node 24
      # sizes it from the heap limit, larger than the capped old space can take in, and then every
      # collection is a full one (billing at 100% CPU, 94% of it in GC, long after a burst).
      DATABASE_URL=$db_url PORT=$port NODE_OPTIONS="--max-old-space-size=${SERVICE_HEAP_MB:-160} --max-semi-space-size=${SERVICE_SEMI_SPACE_MB:-16} ${NODE_OPTIONS:-}" MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} \
        exec nohup node "dist/services/$service/services/$service/src/main.js" >>"$dir/$s.log" 2>&1
    ) &
    echo $! >"$dir/$s.pid"
  done
}

wait_ready() {
  for s in "$@"; do
    port=${PORTS[$s]}
    for _ in $(seq 1 120); do ready "$port" && break; sleep 0.5; done
    if ready "$port"; then echo "$s ready on http://127.0.0.1:$port (API docs: /docs)"; else echo "$s not ready; see $dir/$s.log" >&2; tail -20 "$dir/$s.log" >&2; exit 1; fi
  done
}

# Sends a signal to a service started by this script and waits (up to 20 s) until it has exited.
# SIGTERM: it finishes in-flight work. SIGKILL: a crash, as the kernel's OOM killer would do it.
signal_service() {
  local s=$1 signal=$2 said=$3
  if [ -f "$dir/$s.pid" ] && kill -0 "$(cat "$dir/$s.pid")" 2>/dev/null; then
    kill "-$signal" "$(cat "$dir/$s.pid")"
    for _ in $(seq 1 200); do kill -0 "$(cat "$dir/$s.pid")" 2>/dev/null || break; sleep 0.1; done
    echo "$s $said"
  fi
  rm -f "$dir/$s.pid"
}

down() {
  for s in "${SCALABLE[@]}"; do signal_service "$s-2" TERM stopped; done
  for s in "$CONSOLE" "${SERVICES[@]}"; do signal_service "$s" TERM stopped; done
  if [ -f "$dir/billing-system-sim.pid" ]; then
    kill -INT "$(cat "$dir/billing-system-sim.pid")" 2>/dev/null && echo "billing-system simulator stopped" || true
    rm -f "$dir/billing-system-sim.pid"
  fi
  [ "${1:-}" = "--keep-kafka" ] || { bash scripts/kafka.sh stop; bash scripts/idp.sh stop; }
}

status() {
  for s in "${SERVICES[@]}" "$CONSOLE"; do
    port=${PORTS[$s]}
    printf '%-15s ' "$s"; curl -sS "http://127.0.0.1:$port/health/ready" || echo "down"; echo
  done
  for s in "${SCALABLE[@]}"; do
    if [ -f "$dir/$s-2.pid" ]; then printf '%-15s ' "$s-2"; curl -sS "http://127.0.0.1:${PORTS[$s-2]}/health/ready" || echo "down"; echo; fi
  done
}

# A second instance of each named service, in the same consumer group, once the first is ready.
scale() {
  local instances=()
  for s in "$@"; do
    [[ " ${SCALABLE[*]} " == *" $s "* ]] || { echo "cannot scale '$s' (one of: ${SCALABLE[*]})" >&2; exit 2; }
    ready "${PORTS[$s]}" || { echo "$s is not running: start the stack first" >&2; exit 1; }
    instances+=("$s-2")
  done
  start_services "${instances[@]}"
  wait_ready "${instances[@]}"
}

kill_services() {
  for s in "$@"; do
    [ -n "${PORTS[$s]:-}" ] || { echo "no service '$s' (one of: ${!PORTS[*]})" >&2; exit 2; }
    signal_service "$s" KILL killed
  done
}

stop_services() {
  for s in "$@"; do
    [ -n "${PORTS[$s]:-}" ] || { echo "no service '$s' (one of: ${!PORTS[*]})" >&2; exit 2; }
    signal_service "$s" TERM stopped
  done
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  kill) shift; kill_services "$@" ;;
  stop) shift; stop_services "$@" ;;
  start) shift; start_services "$@"; wait_ready "$@" ;;
  scale) shift; scale "$@" ;;
  down) shift || true; down "$@" ;;
  status) status ;;
  *) echo "usage: $0 up [--no-demo] | down [--keep-kafka] | status | kill SERVICE... | stop SERVICE... | start SERVICE... | scale SERVICE..." >&2; exit 2 ;;
esac
