# Shared defaults for the project's scripts (sourced, not run). DATABASE_URL is the administrator's: the
# scripts create the database, the roles and the schemas with it; services get their own role's URL
# (scripts/service-database-url.mjs).
: "${DATABASE_URL:=postgresql://postgres@127.0.0.1:5432/slidecharge}"
: "${KAFKA_BROKERS:=127.0.0.1:${KAFKA_PORT:-9092}}"
export DATABASE_URL KAFKA_BROKERS
export NX_TUI=false NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=${NX_SKIP_NX_CACHE:-false}
export KAFKAJS_NO_PARTITIONER_WARNING=1
# The scripts (the stack, the fault campaign, the tests) run on Node.js 24 (scripts/node24.sh).
source scripts/node24.sh
ensure_node24

# Installs dependencies when node_modules is missing or older than the lock file.
ensure_install() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "== npm ci"
    npm ci --no-audit --no-fund
  fi
}

# The development identity provider (scripts/idp.sh): its issuer and where its secrets are.
: "${OIDC_ISSUER:=http://127.0.0.1:${IDP_PORT:-8180}/realms/slidecharge}"
: "${OIDC_AUDIENCE:=slidecharge-api}"
export OIDC_ISSUER OIDC_AUDIENCE

# Starts the development identity provider when OIDC_ISSUER is the local default and it does not answer.
ensure_idp() {
  if [ "$OIDC_ISSUER" = "http://127.0.0.1:${IDP_PORT:-8180}/realms/slidecharge" ] && ! bash scripts/idp.sh status; then
    echo "== starting the identity provider (scripts/idp.sh)"
    bash scripts/idp.sh start
  fi
}

# True when KAFKA_BROKERS names the bundled broker of scripts/kafka.sh (127.0.0.1:${KAFKA_PORT:-9092}).
bundled_kafka() { [ "$KAFKA_BROKERS" = "127.0.0.1:${KAFKA_PORT:-9092}" ]; }

# Starts the bundled Kafka when KAFKA_BROKERS names it (quick when it runs already: it re-applies the
# topics and ACLs only when the topic table changed).
ensure_kafka() {
  if bundled_kafka; then
    echo "== Kafka (scripts/kafka.sh)"
    bash scripts/kafka.sh start
  fi
}

# Prints the KAFKA_* settings of a principal of the bundled broker (its password as a file path),
# or nothing when the caller gave its own Kafka settings (KAFKA_SASL_USERNAME) or another cluster.
kafka_principal_env() {
  if bundled_kafka && [ -z "${KAFKA_SASL_USERNAME:-}" ]; then bash scripts/kafka.sh env "$1"; fi
}

# Exports a principal's settings into this shell (scripts/test.sh: the harness runs as admin).
use_kafka_principal() {
  local settings
  settings="$(kafka_principal_env "$1")"
  if [ -n "$settings" ]; then set -a; eval "$settings"; set +a; fi
}

# Creates the database and the services' roles (idempotent), then migrates each schema as its own role.
ensure_database() {
  node scripts/ensure-database.mjs
  echo "== applying migrations"
  node scripts/prisma.mjs migrate
}
