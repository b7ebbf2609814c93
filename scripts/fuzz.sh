#!/usr/bin/env bash
# Fuzz the tag pipeline over event JSON (fuzz/fuzz_targets/build_event.rs) with libFuzzer.
#   bash scripts/fuzz.sh                 # 60 seconds
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh
# Installs cargo-fuzz if missing; needs the nightly toolchain (rustup's `nightly`). The corpus
# lives in fuzz/corpus/build_event (seeded from fuzz/seeds); crashes go to fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal

mkdir -p fuzz/corpus/build_event
cp -n fuzz/seeds/*.json fuzz/corpus/build_event/ 2>/dev/null || true

mkdir -p fuzz/artifacts
log=fuzz/artifacts/build_event.log
echo "== cargo +nightly fuzz run build_event (${FUZZ_SECONDS:-60}s)"
status=0
cargo +nightly fuzz run build_event fuzz/corpus/build_event fuzz/seeds -- \
  -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 2>&1 | tee "$log" || status=$?

echo "== summary"
grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" || echo "no 'Done' line: libFuzzer stopped early (see $log)"
if [ "$status" -ne 0 ]; then
  grep -E 'panicked at|^artifact_prefix|Test unit written to' "$log" || true
  echo "fuzzing FAILED (exit $status)"
fi
exit "$status"
