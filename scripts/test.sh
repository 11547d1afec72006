#!/usr/bin/env bash
# Runs every test: lint, typecheck and unit tests of all projects, then integration tests of the libs
# and services against the real Postgres and Kafka, then the end-to-end test of the four services as
# separate processes, and the ops console in chromium (scripts/browser.sh). Needs Postgres (DATABASE_URL; default a local slidecharge_test database) and
# starts the bundled Kafka (SASL_SSL, ACLs) and the development identity provider (Keycloak,
# scripts/idp.sh) when KAFKA_BROKERS / OIDC_ISSUER are not given. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:=postgresql://postgres@127.0.0.1:5432/slidecharge_test}"
# The stack's services (npm run stack) consume every topic of the broker the tests use: they would take
# the tests' events (and store them in the stack's database), and the tests would see theirs. Refuse.
for pidfile in tmp/stack/*.pid; do
  [ -e "$pidfile" ] || continue
  name=$(basename "$pidfile" .pid)
  [ "$name" = billing-system-sim ] && continue
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "test: the stack's $name is running (tmp/stack/$name.pid) and would consume the tests' topics; stop the stack first (npm run stack:down, or scripts/stack.sh stop SERVICE...)" >&2
    exit 1
  fi
done
source scripts/env.sh
mkdir -p tmp
set -e
ensure_install
ensure_kafka
ensure_idp
# Services under test run in development mode unless a test says otherwise (the security e2e test
# runs them in production mode).
export SLIDECHARGE_ENV="${SLIDECHARGE_ENV:-development}"
# The test harness (global setup, topic readers, in-process services) connects as the admin
# principal; e2e service processes each connect as their own (libs/testing principalKafkaEnv).
use_kafka_principal admin
node scripts/ensure-database.mjs
node scripts/prisma.mjs migrate >tmp/migrate.log 2>&1 || { cat tmp/migrate.log; exit 1; }
export SLIDECHARGE_MIGRATED="$DATABASE_URL"
set +e

log=tmp/test-output.log
: >"$log"
status=0
step() {
  echo "== $*" | tee -a "$log"
  "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || status=$rc
}

# Dependencies: npm audit where the registry answers it (these machines' registry does not: said, not
# failed), and the committed SBOM must match package-lock.json.
dependency_check() {
  node scripts/sbom.mjs --check || return 1
  if npm audit --omit dev --audit-level=high >tmp/npm-audit.log 2>&1; then echo "npm audit: no high or critical advisory"
  elif grep -q "audit endpoint returned an error\|405\|ENOTFOUND\|ECONNREFUSED" tmp/npm-audit.log; then echo "npm audit: the registry does not answer audits here; docs/sbom.cdx.json is the pinned record"
  else cat tmp/npm-audit.log; return 1; fi
}

step dependency_check
step npx nx run-many -t lint typecheck test --parallel=2 --outputStyle=stream
step npx nx run-many -t integration --parallel=1 --outputStyle=stream
step npx nx run e2e:e2e --outputStyle=stream
# The ops console in a real browser (Debian's chromium, installed when missing) against the real identity provider.
step bash scripts/browser.sh ensure
step npx nx run e2e:browser --outputStyle=stream

# Sum jest's "Tests:" lines (each project prints one) into the closing line CI reads.
read -r passed failed < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^[^ ]*[ ]*Tests:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i) ~ /^passed,?$/) p += $(i-1);
      if ($(i) ~ /^failed,?$/) f += $(i-1);
    }
  }
  END { print p + 0, f + 0 }')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "a step failed outside jest's counts (see $log)"; fi
if [ "$failed" -ne 0 ]; then
  # Repeat the names of the failing tests (and jest's first lines about each) where CI's tail shows them.
  echo "== failing tests"
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '✕|^- [a-z-]+:[a-z0-9-]+$' | head -20
  # jest's failure blocks ("● suite › test") with their first lines, leaving out the "● Console" blocks of
  # passing suites that would crowd them out of the tail.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '"level"' | awk '
    /● / { n = ($0 ~ /● Console/) ? 0 : 14 }
    n > 0 { print; n-- }' | head -80
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
