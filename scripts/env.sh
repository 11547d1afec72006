# Shared defaults for the project's scripts (sourced, not run).
: "${DATABASE_URL:=postgresql://postgres@127.0.0.1:5432/slidecharge}"
: "${KAFKA_BROKERS:=127.0.0.1:${KAFKA_PORT:-9092}}"
export DATABASE_URL KAFKA_BROKERS
export NX_TUI=false NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=${NX_SKIP_NX_CACHE:-false}
export KAFKAJS_NO_PARTITIONER_WARNING=1

# Installs dependencies when node_modules is missing or older than the lock file.
ensure_install() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "== npm ci"
    npm ci --no-audit --no-fund
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

ensure_database() {
  node scripts/ensure-database.mjs
  echo "== applying migrations"
  node scripts/prisma.mjs migrate
}
