# Shared defaults for the project's scripts (sourced, not run). DATABASE_URL is the administrator's: the
# scripts create the database, the roles and the schemas with it; services get their own role's URL
# (scripts/service-database-url.mjs).
: "${DATABASE_URL:=postgresql://postgres@127.0.0.1:5432/slidecharge}"
: "${KAFKA_BROKERS:=127.0.0.1:9092}"
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

# Starts the bundled Kafka when KAFKA_BROKERS is the local default and nothing answers there.
ensure_kafka() {
  if [ "$KAFKA_BROKERS" = "127.0.0.1:9092" ] && ! bash scripts/kafka.sh status; then
    echo "== starting Kafka (scripts/kafka.sh)"
    bash scripts/kafka.sh start
  fi
}

# Creates the database and the services' roles (idempotent), then migrates each schema as its own role.
ensure_database() {
  node scripts/ensure-database.mjs
  echo "== applying migrations"
  node scripts/prisma.mjs migrate
}
