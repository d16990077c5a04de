#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a bounded time (issue #6).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60; CI passes a small number such as 10;
#                                            0 builds the targets and runs none
#   FUZZ_SANITIZER=address scripts/fuzz.sh   AddressSanitizer (nightly flags, via RUSTC_BOOTSTRAP)
#
# Installs cargo-fuzz (once) into the project's own target/tools/ -- never ~/.cargo/bin -- and
# uses it from there. libFuzzer's progress goes to target/fuzz-logs/TARGET.log; the terminal
# gets a few lines per target: runs, coverage, corpus size, and any crash.
#
# New inputs go to fuzz/corpus/TARGET (git-ignored) on top of the committed seeds in
# fuzz/seeds/TARGET. A crash stops the script with a non-zero status and leaves the input in
# fuzz/artifacts/TARGET; turn it into a unit test in the library before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET] (a whole number; 0 builds the targets without running them)" >&2
  exit 2
fi

tools="$PWD/target/tools"
export PATH="$tools/bin:$PATH"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  echo "fuzz: installing cargo-fuzz into $tools/bin (project-local; delete target/tools to remove it)"
  cargo install --quiet --locked --root "$tools" cargo-fuzz
fi
echo "fuzz: using $(command -v cargo-fuzz) ($(cargo-fuzz --version 2>/dev/null || echo 'version unknown'))"
if [ "$sanitizer" != none ]; then
  export RUSTC_BOOTSTRAP=1
fi

logs=target/fuzz-logs
mkdir -p "$logs"
echo "fuzz: building the targets (log: $logs/build.log)"
if ! cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer" >"$logs/build.log" 2>&1; then
  tail -n 40 "$logs/build.log" >&2
  echo "fuzz: building the targets failed; the whole log is $logs/build.log" >&2
  exit 1
fi

if [ "$seconds" -eq 0 ]; then
  echo "fuzz: built; not running them (0 seconds per target)"
  exit 0
fi

for target in $(cargo fuzz list --fuzz-dir fuzz); do
  corpus="fuzz/corpus/$target"
  log="$logs/$target.log"
  mkdir -p "$corpus"
  echo "==> fuzzing $target for ${seconds}s (sanitizer: $sanitizer, log: $log)"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: bounded memory.
  status=0
  cargo fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  # libFuzzer's last status line ("#N DONE cov: .. ft: .. corp: ..") and its final stats.
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed 's/^/    /' || true
  grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added):' "$log" | sed 's/^/    /' || true
  if [ "$status" -ne 0 ]; then
    echo "    CRASH or failure (exit $status); the input is in fuzz/artifacts/$target. Log tail:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  echo "    crashes: 0"
done
echo "==> fuzzing passed: every target ran ${seconds}s without a crash (logs: $logs/)"
