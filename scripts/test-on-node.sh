#!/usr/bin/env bash
# Runs the unit specs and some e2e suites on another Node.js version, from the npm registry's
# `node` package (no other download): CI runs on the machine's Node, this shows the supported
# LTS (.nvmrc) works too. Native modules are compiled against that version's own headers,
# which the package ships (better-sqlite3 has no prebuilt binary reachable here).
#
#   scripts/test-on-node.sh [version] [test files…]   version defaults to .nvmrc
#
# Works on a copy of the tree (tracked and new files) in a temporary directory; the Node
# package is cached in ${PARLEY_NODE_CACHE:-/tmp/parley-node-<version>}. About 3 minutes for
# the install (compiling better-sqlite3), then the tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-$(cat "$root/.nvmrc")}
shift || true
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(test/operations.e2e-spec.ts test/ws-chat.e2e-spec.ts test/shutdown.e2e-spec.ts)

cache=${PARLEY_NODE_CACHE:-${TMPDIR:-/tmp}/parley-node-$version}
if [ ! -x "$cache/node_modules/node/bin/node" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save "node@$version" >/dev/null
fi
bin="$cache/node_modules/node/bin"
headers=$(find "$cache/node_modules/node/node_modules" -maxdepth 1 -type d -name 'node-linux-*' | head -n 1)
[ -f "$headers/include/node/node_api.h" ] || { echo "no Node headers in $cache (expected node-linux-*/include/node)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-on-node-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && cp --parents -- "$file" "$work/"
done)

cd "$work"
export PATH="$bin:$PATH" npm_config_nodedir="$headers"
echo "== Node $(node --version) (headers: $headers)"
npm ci --no-audit --no-fund --loglevel=error
node -e "require('better-sqlite3'); require('bcrypt'); console.log('native modules load')"
npx jest --runInBand --selectProjects unit
npx jest --runInBand "${suites[@]}"
