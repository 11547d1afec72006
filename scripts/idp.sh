#!/usr/bin/env bash
# Development identity provider: Keycloak (OpenID Connect) on 127.0.0.1, for the stack, tests and CI.
# It stands for the hospital's own identity provider; slidecharge's services only need its issuer URL.
# Keycloak's distribution comes from Maven Central once (org.keycloak:keycloak-quarkus-dist) and is
# cached under $SLIDECHARGE_CACHE (default ~/.cache/slidecharge); it needs Java 21 or newer (the
# Temurin JDK beside the default Java 17 on these machines; IDP_JAVA_HOME to choose another).
#
#   scripts/idp.sh start     fetch if needed, write the realms (tools/keycloak/realm.mjs), start, wait until ready
#   scripts/idp.sh stop      stop the Keycloak started by this script
#   scripts/idp.sh status    exit 0 when the slidecharge realm answers
#   scripts/idp.sh env       print OIDC_* settings for the services and IDP_SECRETS_FILE for tools and tests
#   scripts/idp.sh logs      tail the log
#   scripts/idp.sh reset     stop and forget the realms (users, clients, keys); secrets are kept
#
# Settings (environment): IDP_PORT (8180), IDP_KEYCLOAK_VERSION (26.7.3), IDP_JAVA_HOME, IDP_HEAP (512m).
# Users, clients and their secrets: $SLIDECHARGE_CACHE/secrets/idp.json (mode 0600, made once);
# `node scripts/token.mjs <role>` prints a token (see README).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SLIDECHARGE_CACHE:-$HOME/.cache/slidecharge}"
version="${IDP_KEYCLOAK_VERSION:-26.7.3}"
port="${IDP_PORT:-8180}"
home="$cache/keycloak-$version"
state="$cache/idp-$port"
secrets="$cache/secrets/idp.json"
pidfile="$state/keycloak.pid"
log="$state/keycloak.log"
issuer="http://127.0.0.1:$port/realms/slidecharge"

java_home() {
  if [ -n "${IDP_JAVA_HOME:-}" ]; then echo "$IDP_JAVA_HOME"; return; fi
  local d
  for d in /usr/lib/jvm/temurin-2[1-9]* /usr/lib/jvm/java-2[1-9]* /usr/lib/jvm/temurin-[3-9][0-9]*; do
    if [ -x "$d/bin/java" ]; then echo "$d"; return; fi
  done
  if java -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"; return
  fi
  echo "idp: Keycloak $version needs Java 21 or newer and none was found; set IDP_JAVA_HOME" >&2
  exit 1
}

fetch() {
  if [ -f "$home/.complete" ]; then return; fi
  echo "idp: fetching Keycloak $version from Maven Central into $home" >&2
  local downloads="$cache/downloads"
  mkdir -p "$downloads"
  mvn -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$version:tar.gz" \
    -Dtransitive=false -DoutputDirectory="$downloads" >&2
  rm -rf "$home.tmp" && mkdir -p "$home.tmp"
  tar -xzf "$downloads/keycloak-quarkus-dist-$version.tar.gz" -C "$home.tmp" --strip-components=1
  rm -rf "$home" && mv "$home.tmp" "$home" && touch "$home/.complete"
  rm -f "$downloads/keycloak-quarkus-dist-$version.tar.gz"
}

realm_ready() { curl -fsS --max-time 3 "$issuer/.well-known/openid-configuration" >/dev/null 2>&1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# The realms are imported at start when absent. When their description (or a secret) changed, the
# embedded database is dropped so the next start imports them afresh. Keycloak reads the files from
# its home's data/import, so one development Keycloak runs per machine.
prepare_realms() {
  mkdir -p "$state"
  local hash; hash="$(node "$here/tools/keycloak/realm.mjs" hash "$secrets")"
  if [ "$(cat "$state/realm.hash" 2>/dev/null)" != "$hash" ]; then
    if running; then stop; fi
    rm -rf "$state/h2"
    rm -rf "$home/data/import"
    node "$here/tools/keycloak/realm.mjs" write "$home/data/import" "$secrets"
    echo "$hash" >"$state/realm.hash"
  fi
}

start() {
  fetch
  prepare_realms
  if running && realm_ready; then echo "idp: already running: $issuer" >&2; return; fi
  if port_open "$port"; then echo "idp: something else listens on 127.0.0.1:$port" >&2; exit 1; fi
  local jh; jh="$(java_home)"
  local admin_password; admin_password="$(node -e "console.log(JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')).adminPassword)" "$secrets")"
  echo "idp: starting Keycloak $version on 127.0.0.1:$port (log: $log)" >&2
  # start-dev: embedded H2 database kept in $state, HTTP on loopback only, fixed hostname so the token
  # issuer is the same whichever name a client used.
  JAVA_HOME="$jh" JAVA_OPTS_KC_HEAP="-Xms64m -Xmx${IDP_HEAP:-512m}" \
    KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD="$admin_password" \
    KC_DB=dev-file KC_DB_URL="jdbc:h2:file:$state/h2/keycloakdb;NON_KEYWORDS=VALUE" \
    nohup "$home/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="$port" \
      --hostname="http://127.0.0.1:$port" --import-realm --log-level=warn,org.keycloak.services:info \
      >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 300); do
    if realm_ready; then echo "idp: ready: $issuer" >&2; return; fi
    if ! running; then echo "idp: Keycloak exited; last lines of $log:" >&2; tail -30 "$log" >&2; exit 1; fi
    sleep 1
  done
  echo "idp: not ready after 300 s; see $log" >&2; exit 1
}

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    for _ in $(seq 1 60); do running || break; sleep 0.5; done
    running && kill -9 "$(cat "$pidfile")" || true
  fi
  rm -f "$pidfile"; echo "idp: stopped" >&2
}

print_env() {
  echo "OIDC_ISSUER=$issuer"
  echo "OIDC_AUDIENCE=slidecharge-api"
  echo "IDP_SECRETS_FILE=$secrets"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) realm_ready ;;
  env) print_env ;;
  logs) tail -f "$log" ;;
  reset) stop; rm -rf "$state" ;;
  *) echo "usage: $0 start|stop|status|env|logs|reset" >&2; exit 2 ;;
esac
