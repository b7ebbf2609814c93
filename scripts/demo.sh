#!/usr/bin/env bash
# The main job on the embedded default: set up and build if needed, start the local Meta CAPI
# sandbox, the identity service (workerd + D1) and the server container on loopback; scripted
# browsers send gtag.js-style hits (and a backend JSON events) to the container, which answers at
# once and runs the tag (identity -> build -> send with retries); print what was answered, sent,
# hashed and added by identity, with timings. Nothing leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh all
[ -f pkg/omni_meta_capi_bg.wasm ] && [ -z "$(find src crates Cargo.toml wasm-pack.toml js -newer pkg/omni_meta_capi_bg.wasm -print -quit)" ] \
  || node scripts/build.mjs
echo "== end to end: gtag hits -> server container -> tag (identity, build, send, retry) -> local Meta CAPI sandbox"
node scripts/demo.mjs
