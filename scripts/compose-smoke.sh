#!/usr/bin/env bash
# The Docker path, end to end (issue #12): builds the images where no registry answers (scripts/images.sh),
# brings up docker-compose.yml with its host ports moved away from the development stack's, waits until
# every service is healthy, runs the REST demo (scripts/demo.mjs) and the HL7 demo (scripts/demo-hl7.mjs)
# against it from the host, checks that charges were made and that the billing-system simulator
# acknowledged DFT^P03 messages (billing's /deliveries and the simulator's log), then `down -v` and checks
# that no container, volume or network of the project is left. Prints how long each phase took.
#
#   scripts/compose-smoke.sh            the above
#   scripts/compose-smoke.sh --keep     leave the stack up at the end (remove it with: docker-compose -p
#                                       slidecharge-smoke down -v)
#
# Settings (environment): SMOKE_PORT_BASE (20000: host ports BASE+5432 Postgres, +9092 Kafka, +8180
# Keycloak, +3001..+3005 the services and the console, +2575 HL7 MLLP), COMPOSE_PROJECT_NAME
# (slidecharge-smoke), SMOKE_HEALTH_TIMEOUT (300 s). Uses `docker compose` when present, else
# `docker-compose` (Compose v1, Debian's). The engine is left running (scripts/images.sh stop stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
[ "${1:-}" = --keep ] && keep=true
base="${SMOKE_PORT_BASE:-20000}"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-slidecharge-smoke}"
export SLIDECHARGE_POSTGRES_PORT=$((base + 5432)) SLIDECHARGE_KAFKA_PORT=$((base + 9092)) SLIDECHARGE_KEYCLOAK_PORT=$((base + 8180))
export SLIDECHARGE_ACCESSION_PORT=$((base + 3001)) SLIDECHARGE_SCANNER_EVENTS_PORT=$((base + 3002)) SLIDECHARGE_QC_PORT=$((base + 3003))
export SLIDECHARGE_BILLING_PORT=$((base + 3004)) SLIDECHARGE_OPS_CONSOLE_PORT=$((base + 3005)) SLIDECHARGE_MLLP_PORT=$((base + 2575))
health_timeout="${SMOKE_HEALTH_TIMEOUT:-300}"
project="$COMPOSE_PROJECT_NAME"
work="tmp/compose-smoke"
mkdir -p "$work"

say() { echo "compose-smoke: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }
now() { date +%s; }
timings=()
phase_start=0
phase() { phase_start="$(now)"; phase_name="$1"; say "== $1"; }
phase_done() { local s=$(( $(now) - phase_start )); timings+=("$(printf '%-28s %4d s' "$phase_name" "$s")"); say "   $phase_name: ${s} s"; }

if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi

# Everything the project left: containers (running or not), volumes, networks.
leftovers() {
  local label="label=com.docker.compose.project=$project"
  docker ps -aq --filter "$label"
  docker volume ls -q --filter "$label"
  docker network ls -q --filter "$label"
}

on_exit() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    say "failed; the state of the stack and the last logs:"
    "${compose[@]}" ps >&2 || true
    "${compose[@]}" logs --no-color --tail 30 >&2 || true
  fi
  if [ "$rc" != 0 ] || [ "$keep" = false ]; then
    if [ -n "$(leftovers)" ]; then "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; fi
  fi
  exit "$rc"
}

t_all="$(now)"
phase "images (scripts/images.sh)"
bash scripts/images.sh build
phase_done

# A port the development stack or a shared service uses would make `up` fail half way: say so first.
for p in $SLIDECHARGE_POSTGRES_PORT $SLIDECHARGE_KAFKA_PORT $SLIDECHARGE_KEYCLOAK_PORT $SLIDECHARGE_ACCESSION_PORT $SLIDECHARGE_SCANNER_EVENTS_PORT \
  $SLIDECHARGE_QC_PORT $SLIDECHARGE_BILLING_PORT $SLIDECHARGE_OPS_CONSOLE_PORT $SLIDECHARGE_MLLP_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is in use on 127.0.0.1: set SMOKE_PORT_BASE"; fi
done
[ -z "$(leftovers)" ] || { say "removing what an earlier run of project $project left"; "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; }
trap on_exit EXIT

# The build's npm reaches the registry through a TLS-inspecting proxy on machines whose system trust store
# has extra CAs (/usr/local/share/ca-certificates): give those to the build (the Dockerfile's NPM_EXTRA_CA).
if [ -z "${NPM_EXTRA_CA:-}" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  NPM_EXTRA_CA="$(cat /usr/local/share/ca-certificates/*.crt)"
  export NPM_EXTRA_CA
  say "the build's npm trusts the extra CAs of /usr/local/share/ca-certificates"
fi
# The scanner middleware's development key, random per run (scanner-events takes it in development only).
SCANNER_DEV_API_KEY="$(node -e 'const c = require("node:crypto"); console.log(`sck_smoke${c.randomBytes(4).toString("hex")}_${c.randomBytes(32).toString("base64url")}`)')"
export SCANNER_DEV_API_KEY

phase "build (docker-compose build)"
"${compose[@]}" build -q
# The services run on Node.js 24 LTS (issue #12): the image says which it has.
image_node="$(docker run --rm slidecharge:local node --version)"
say "   node --version in slidecharge:local: $image_node"
case "$image_node" in v24.*) ;; *) die "the service image runs Node.js $image_node, not 24";; esac
phase_done

phase "up until healthy"
"${compose[@]}" up -d --no-build
deadline=$(( $(now) + health_timeout ))
while :; do
  unhealthy=()
  for c in $(docker ps -aq --filter "label=com.docker.compose.project=$project"); do
    read -r name state health < <(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")
    case "$state/$health" in
      running/healthy | running/none) ;;
      exited/none) [ "$(docker inspect -f '{{.State.ExitCode}}' "$c")" = 0 ] || die "${name#/} exited with $(docker inspect -f '{{.State.ExitCode}}' "$c")" ;;
      *) unhealthy+=("${name#/}:$state/$health") ;;
    esac
  done
  [ "${#unhealthy[@]}" -eq 0 ] && break
  [ "$(now)" -lt "$deadline" ] || die "not healthy after $health_timeout s: ${unhealthy[*]}"
  sleep 2
done
"${compose[@]}" ps
phase_done

# The demos sign in with the compose stack's identity provider (its issuer and its generated secrets).
export OIDC_ISSUER="http://127.0.0.1:$SLIDECHARGE_KEYCLOAK_PORT/realms/slidecharge"
export IDP_SECRETS_FILE="$PWD/$work/idp.json"
( umask 077 && "${compose[@]}" exec -T keycloak cat /idp/secrets/idp.json >"$IDP_SECRETS_FILE" )
export ACCESSION_URL="http://127.0.0.1:$SLIDECHARGE_ACCESSION_PORT" SCANNER_URL="http://127.0.0.1:$SLIDECHARGE_SCANNER_EVENTS_PORT"
export CONSOLE_URL="http://127.0.0.1:$SLIDECHARGE_OPS_CONSOLE_PORT"
export BILLING_URL="http://127.0.0.1:$SLIDECHARGE_BILLING_PORT" LIS_SIM_HOST=127.0.0.1 LIS_SIM_PORT="$SLIDECHARGE_MLLP_PORT"

phase "REST demo (scripts/demo.mjs)"
node scripts/demo.mjs
phase_done

phase "HL7 demo (scripts/demo-hl7.mjs)"
node scripts/demo-hl7.mjs
phase_done

phase "checks"
# Charges made, and each delivery of a charge or credit acknowledged by the simulator.
node --input-type=module - <<'EOF'
import { tokenFor } from './scripts/lib/identity.mjs';
const billing = process.env.BILLING_URL;
const get = async (path, who) => {
  const res = await fetch(`${billing}${path}`, { headers: { authorization: `Bearer ${await tokenFor(who)}` } });
  if (!res.ok) throw new Error(`GET ${path} -> ${res.status}: ${await res.text()}`);
  return res.json();
};
const charges = (await get('/charges?limit=500', 'ops-viewer')).items;
const deliveries = (await get('/deliveries?limit=500', 'ops-viewer')).items;
const acked = deliveries.filter((d) => d.state === 'acked');
console.log(`compose-smoke: ${charges.length} charges; ${deliveries.length} DFT^P03 deliveries, ${acked.length} acknowledged (${acked.filter((d) => d.kind === 'charge').length} charges, ${acked.filter((d) => d.kind === 'credit').length} credits)`);
if (charges.length === 0) throw new Error('no charge was made');
if (acked.length === 0 || !acked.some((d) => d.kind === 'charge')) throw new Error('no DFT^P03 charge was acknowledged');

// The ops console on its published port: its page loads, its API wants a token, and the identity
// provider accepts a sign-in that returns there (the realm lists the console's origin: OPS_CONSOLE_ORIGINS).
const consoleUrl = process.env.CONSOLE_URL;
const page = await fetch(`${consoleUrl}/`);
if (!page.ok || !(await page.text()).includes('<html')) throw new Error(`the console's page at ${consoleUrl}/ answered ${page.status}`);
const api = await fetch(`${consoleUrl}/api/overview`);
if (api.status !== 401) throw new Error(`the console's /api/overview without a token answered ${api.status}, not 401`);
const signIn = new URL(`${process.env.OIDC_ISSUER}/protocol/openid-connect/auth`);
for (const [k, v] of Object.entries({ client_id: 'ops-console', response_type: 'code', scope: 'openid', redirect_uri: `${consoleUrl}/callback`, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })) {
  signIn.searchParams.set(k, v);
}
const login = await fetch(signIn);
if (login.status !== 200) throw new Error(`the identity provider refused the console's sign-in returning to ${consoleUrl}/callback: ${login.status} ${(await login.text()).slice(0, 200)}`);
console.log(`compose-smoke: the console at ${consoleUrl}: page 200, /api/overview 401 without a token, sign-in returning there accepted by the identity provider`);
EOF
sim_aa="$("${compose[@]}" logs --no-color billing-system-sim | grep -c -- '-> AA' || true)"
say "the billing-system simulator answered AA to $sim_aa DFT^P03 message(s)"
[ "$sim_aa" -gt 0 ] || die "the simulator acknowledged no DFT^P03"
phase_done

if [ "$keep" = true ]; then
  say "left running (--keep): ${compose[*]} -p $project down -v removes it"
else
  phase "down -v"
  "${compose[@]}" down -v --remove-orphans
  left="$(leftovers)"
  [ -z "$left" ] || die "left behind after down -v: $(echo "$left" | tr '\n' ' ')"
  say "nothing left: no container, volume or network of project $project"
  phase_done
fi
rm -f "$IDP_SECRETS_FILE"

say "timings:"
for t in "${timings[@]}"; do say "   $t"; done
say "   total                        $(( $(now) - t_all )) s"
say "passed"
