#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a bounded time (issue #6).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60; CI passes a small number such as 20
#   FUZZ_SANITIZER=address scripts/fuzz.sh   AddressSanitizer (nightly flags, via RUSTC_BOOTSTRAP)
#
# New inputs go to fuzz/corpus/TARGET (git-ignored) on top of the committed seeds in
# fuzz/seeds/TARGET. A crash stops the script with a non-zero status and leaves the input in
# fuzz/artifacts/TARGET; turn it into a unit test in the library before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: $0 [SECONDS_PER_TARGET > 0]" >&2
  exit 2
fi
if ! command -v cargo-fuzz >/dev/null; then
  cargo install --locked cargo-fuzz
fi
if [ "$sanitizer" != none ]; then
  export RUSTC_BOOTSTRAP=1
fi

cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer"
for target in $(cargo fuzz list --fuzz-dir fuzz); do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  echo "==> fuzzing $target for ${seconds}s (sanitizer: $sanitizer)"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: bounded memory.
  cargo fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
echo "==> fuzzing passed: every target ran ${seconds}s without a crash"
