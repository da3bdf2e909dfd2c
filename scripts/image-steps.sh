#!/usr/bin/env bash
# The Dockerfile's steps without Docker (CI has no engine and no image registry):
#  1. build: a clean copy of the build context (.dockerignore applied), `npm ci --ignore-scripts`,
#     `npm rebuild`, `npm run build`;
#  2. prod-deps: package.json + package-lock.json alone, `npm ci --omit=dev`;
#  3. runtime: node_modules, package.json, dist/, client-demo/dist/ only, every file read-only
#     and owned by root, started as an unprivileged user (uid 65534) with NODE_ENV=production
#     and a writable data directory elsewhere; probes /health/live and /health/ready the way
#     the HEALTHCHECK and an orchestrator do, then stops it with SIGTERM (drain) and checks
#     it ended by that signal.
# Differences from a real image: the machine's Node (not the image's), its OS packages, and
# permissions (a read-only tree plus an unprivileged user) in place of a read-only mount.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-image.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo; echo "== image: $1"; }

step "build stage (context without .dockerignore'd files)"
mkdir -p "$work/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] || continue
  ignored=no
  while IFS= read -r pattern; do
    case "$pattern" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2254 # the pattern is a glob on purpose
    case "$file" in $pattern|$pattern/*) ignored=yes; break ;; esac
  done < .dockerignore
  [ "$ignored" = no ] && cp --parents -- "$file" "$work/src/"
done)
[ ! -e "$work/src/.git" ] && [ ! -e "$work/src/dist" ] || { echo "!! .dockerignore not applied"; exit 1; }
cd "$work/src"
cp package.json package-lock.json "$work/" # what the Dockerfile copies before the sources
(cd "$work" && mkdir deps && mv package.json package-lock.json deps/ && cd deps && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && npm rebuild --loglevel=error && mv node_modules "$work/src/")
BUILD_COMMIT=$(git -C "$root" rev-parse --short=12 HEAD) npm run build --silent
[ -f dist/main.js ] && [ -f client-demo/dist/index.html ] && [ -f dist/build-info.json ]

step "prod-deps stage (npm ci --omit=dev; prepare finds no build tools)"
mkdir -p "$work/prod/scripts"
cp package.json package-lock.json "$work/prod/"
cp scripts/build-if-needed.mjs scripts/build-state.mjs "$work/prod/scripts/"
(cd "$work/prod" && NODE_ENV=production npm ci --omit=dev --no-audit --no-fund --loglevel=error)
[ ! -e "$work/prod/node_modules/@nestjs/cli" ] || { echo "!! dev dependencies in the runtime"; exit 1; }
[ ! -e "$work/prod/dist" ] || { echo "!! the prod-deps stage built"; exit 1; }

step "runtime stage: read-only tree, unprivileged user"
app="$work/app"
mkdir -p "$app/client-demo" "$work/data"
mv "$work/prod/node_modules" "$app/"
cp package.json "$app/"
cp -r dist "$app/dist"
cp -r client-demo/dist "$app/client-demo/dist"
chown -R root:root "$app"
chmod -R a-w "$app"
chown 65534:65534 "$work/data"
chmod 755 "$work" # the unprivileged user must reach $work/data
port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
log="$work/server.log"
(cd "$app" && exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH="$PATH" HOME=/nonexistent \
  NODE_ENV=production PORT="$port" DATABASE_URL="sqlite:$work/data/app.sqlite" MAIL_OUTBOX_DIR="$work/data/outbox" \
  JWT_ACCESS_SECRET=image-steps-access-secret-0123456789abcdef JWT_REFRESH_SECRET=image-steps-refresh-secret-0123456789abcdef \
  SHUTDOWN_GRACE=1s BCRYPT_COST=4 node dist/main.js) >"$log" 2>&1 &
server_pid=$!
probe() { node -e "fetch('http://127.0.0.1:$port$1').then(r=>{console.log(r.status);process.exit(0)},()=>{console.log(0)})"; }
ready=""
for _ in $(seq 1 100); do
  [ "$(probe /health/ready)" = 200 ] && { ready=yes; break; }
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$ready" ]; then echo "!! not ready:"; cat "$log"; exit 1; fi
echo "/health/live $(probe /health/live), /health/ready $(probe /health/ready), / $(probe /)"
[ "$(probe /health/live)" = 200 ] && [ "$(probe /)" = 200 ]
# A write outside the data directory must fail: the tree is read-only to this user.
if setpriv --reuid=65534 --regid=65534 --clear-groups touch "$app/probe" 2>/dev/null; then echo "!! the tree is writable"; exit 1; fi
kill -TERM "$server_pid"
set +e
wait "$server_pid"
status=$?
set -e
server_pid=""
# 143 = 128 + SIGTERM: the drain ran and the signal was raised again.
if [ "$status" -ne 143 ]; then echo "!! exit status $status, expected 143 (SIGTERM)"; cat "$log"; exit 1; fi
if grep -qv '^{' "$log"; then echo "!! non-JSON log lines in production:"; grep -v '^{' "$log"; exit 1; fi
echo "image steps: built, installed without dev dependencies, ran read-only as uid 65534, drained on SIGTERM"
