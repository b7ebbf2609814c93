#!/usr/bin/env bash
# Fuzz every entry point (fuzz/fuzz_targets/*.rs), one target after the other, each for
# SECONDS (default 60), from a corpus seeded by the tests (fuzz/seeds.mjs). Prints and writes
# fuzz/results.tsv: target, executions, seconds, execs/s, corpus size, outcome. Exits non-zero
# on the first crash or timeout (the input is in fuzz/artifacts/<target>/).
#   bash scripts/fuzz.sh 600                 # ten minutes each
#   bash scripts/fuzz.sh 5 build_event       # one target
# Needs nightly (rustup toolchain install nightly --profile minimal) and cargo install cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(ls fuzz/fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//')
fi
# Inputs as large as a real batch (1,000 events) where batches go in; 64 KiB elsewhere.
max_len() {
  case "$1" in
    build_batch|container_request|delivery_settle|golden_differential) echo 1048576 ;;
    *) echo 65536 ;;
  esac
}

node fuzz/seeds.mjs 2>/dev/null
(cd fuzz && cargo +nightly fuzz build -O)
results=${FUZZ_RESULTS:-fuzz/results.tsv}
[ -f "$results" ] || printf 'target\texecutions\tseconds\texecs_per_s\tcorpus\toutcome\n' >"$results"
status=0
for t in "${targets[@]}"; do
  log=$(mktemp)
  # A target without seeds starts from an empty corpus rather than failing to start.
  mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
  set +e
  (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -timeout=10 \
    -max_len="$(max_len "$t")" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/") >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  secs=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  outcome=ok
  if [ $rc -ne 0 ]; then
    outcome=$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^:]*:[0-9]+' "$log" | head -1 || echo "exit $rc")
    tail -40 "$log" >&2
    status=1
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "$seconds" "${secs:-0}" "$corpus" "$outcome" | tee -a "$results"
  rm -f "$log"
  [ $status -eq 0 ] || exit $status
done
