#!/usr/bin/env bash
# All tests, from a fresh machine: set-up, build, Rust tests (native and in headless Chromium),
# the local Meta CAPI sandbox, then the packed npm tarball installed into a scratch project and
# tested in Node (ESM, CJS, CLI, differential against Meta's normalizer, requests accepted by the
# sandbox, TypeScript types), in workerd (Miniflare) and in Chromium. A short smoke of every fuzz
# target runs beside the Rust tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# A full run needs ~2 GB of disk (target/, fuzz/target, node_modules); say what there is, so a
# "No space left on device" further down is read for what it is.
echo "== disk: $(df -Ph . | awk 'NR==2 {print $4}') free here"
bash scripts/setup.sh all
node scripts/build.mjs

echo "== cargo test (native)"
# cargo's own status counts (a test binary that aborts prints no FAILED line); the log shows why.
{ cargo test --quiet --workspace 2>&1; echo $? >target/cargo-test.status; } | tee target/cargo-test.log \
  | grep -E '^(test result|error|failures)' || true
[ "$(cat target/cargo-test.status)" = 0 ] || { tail -60 target/cargo-test.log; exit 1; }

echo "== fuzz smoke (every cargo-fuzz target, ${FUZZ_SMOKE_SECONDS:-5} s each; scripts/fuzz.sh for longer runs)"
if rustup run nightly rustc --version >/dev/null 2>&1 && command -v cargo-fuzz >/dev/null; then
  FUZZ_RESULTS=target/fuzz-smoke.tsv bash scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-5}" | grep -v '^ *Finished'
else
  echo "SKIPPED: no nightly Rust or cargo-fuzz on this machine (scripts/setup.sh could not install them)"
fi

echo "== wasm-pack test --headless --chrome (the Rust core as wasm in Chromium)"
toolchain=$(cat target/.wasm-toolchain 2>/dev/null || true)
RUSTUP_TOOLCHAIN=${toolchain:-} CHROMEDRIVER_ARGS="--allowed-ips=127.0.0.1" \
  wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install \
  --release -- --test web

echo "== node --test tests/sandbox (the local Meta CAPI sandbox over real sockets)"
node --test tests/sandbox/

echo "== node --test tests/identity (the Omni-Identity-compatible service in workerd with D1)"
node --test tests/identity/

echo "== npm pack -> scratch project"
rm -rf target/packaging && mkdir -p target/packaging
tarball=$(npm pack --silent --pack-destination target)
cp -r tests/packaging/. target/packaging/
(cd target/packaging && npm install --silent --no-audit --no-fund --no-save "../$tarball")

echo "== node --test (the installed package in Node, workerd and Chromium)"
node --test --test-concurrency=1 target/packaging/
