#!/usr/bin/env bash
# Builds every libFuzzer target in fuzz/ and runs each for a bounded time (issue #6).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60; CI passes a small number such as 10;
#                                            0 builds the targets and runs none
#   FUZZ_SANITIZER=address scripts/fuzz.sh   AddressSanitizer (nightly flags, via RUSTC_BOOTSTRAP)
#
# Builds with plain cargo and the instrumentation flags cargo-fuzz passes (SanitizerCoverage's
# inline 8-bit counters, PC table, compare tracing and stack depth; `--cfg fuzzing`), so nothing
# is installed: the targets stay cargo-fuzz targets (`cargo fuzz run --fuzz-dir fuzz TARGET`
# works too). Unlike cargo-fuzz's release builds it keeps cargo's default codegen units instead
# of one: a faster build, for somewhat fewer runs per second.
# libFuzzer's progress goes to target/fuzz-logs/TARGET.log; the terminal gets a few lines per
# target: runs, coverage, corpus size, and any crash.
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

# The host triple: with --target, RUSTFLAGS reach the targets' code but not build scripts and
# proc macros, which must not be instrumented.
triple="$(rustc -vV | sed -n 's/^host: //p')"
flags="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4"
flags+=" -Cllvm-args=-sanitizer-coverage-inline-8bit-counters"
flags+=" -Cllvm-args=-sanitizer-coverage-pc-table"
flags+=" -Cllvm-args=-sanitizer-coverage-trace-compares"
flags+=" -Cllvm-args=-sanitizer-coverage-stack-depth"
flags+=" -Cllvm-args=-simplifycfg-branch-fold-threshold=0"
flags+=" --cfg fuzzing -Cdebug-assertions"
case "$sanitizer" in
  none) ;;
  address) export RUSTC_BOOTSTRAP=1; flags+=" -Zsanitizer=address" ;;
  *) echo "fuzz: FUZZ_SANITIZER must be 'none' or 'address', not '$sanitizer'" >&2; exit 2 ;;
esac
# libFuzzer's runtime: libfuzzer-sys compiles it from its C++ sources in every fresh build
# (about a minute of a 2-core machine); Debian ships it prebuilt in libfuzzer-N-dev. When apt can
# fetch that package, only its file is downloaded and unpacked under target/tools (a 200 KB
# archive; nothing is installed, so clang is not pulled in); otherwise libfuzzer-sys builds it.
libfuzzer="$PWD/target/tools/libfuzzer/libFuzzer.a"
if [ -z "${CUSTOM_LIBFUZZER_PATH:-}" ] && [ ! -f "$libfuzzer" ] \
  && command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
  package="$(apt-cache search --names-only '^libfuzzer-[0-9]+-dev$' 2>/dev/null \
    | cut -d' ' -f1 | sort -V | tail -n 1 || true)"
  if [ -n "$package" ]; then
    mkdir -p "$(dirname "$libfuzzer")"
    scratch="$(mktemp -d "$(dirname "$libfuzzer")/fetch.XXXXXX")"
    if (cd "$scratch" && apt-get download -q "$package" >/dev/null 2>&1) \
      && dpkg-deb -x "$scratch"/*.deb "$scratch/unpacked"; then
      found="$(find "$scratch/unpacked" -name libFuzzer.a | head -n 1)"
      if [ -n "$found" ]; then mv "$found" "$libfuzzer"; fi
    fi
    rm -rf "$scratch"
  fi
fi
if [ -z "${CUSTOM_LIBFUZZER_PATH:-}" ] && [ -f "$libfuzzer" ]; then
  export CUSTOM_LIBFUZZER_PATH="$libfuzzer"
fi
echo "fuzz: libFuzzer runtime: ${CUSTOM_LIBFUZZER_PATH:-built by libfuzzer-sys from its sources}"
# Each sanitizer gets its own target folder, so switching does not rebuild the other.
target_dir="fuzz/target/$sanitizer"
bin_dir="$target_dir/$triple/release"

logs=target/fuzz-logs
mkdir -p "$logs"
echo "fuzz: building the targets (sanitizer: $sanitizer; log: $logs/build.log)"
if ! RUSTFLAGS="$flags" cargo build --manifest-path fuzz/Cargo.toml --release --bins \
  --config 'profile.release.debug="line-tables-only"' \
  --target "$triple" --target-dir "$target_dir" >"$logs/build.log" 2>&1; then
  tail -n 40 "$logs/build.log" >&2
  echo "fuzz: building the targets failed; the whole log is $logs/build.log" >&2
  exit 1
fi

if [ "$seconds" -eq 0 ]; then
  echo "fuzz: built; not running them (0 seconds per target)"
  exit 0
fi

for source in fuzz/fuzz_targets/*.rs; do
  target="$(basename "$source" .rs)"
  corpus="fuzz/corpus/$target"
  log="$logs/$target.log"
  mkdir -p "$corpus"
  echo "==> fuzzing $target for ${seconds}s (sanitizer: $sanitizer, log: $log)"
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: bounded memory.
  status=0
  mkdir -p "fuzz/artifacts/$target"
  "$bin_dir/$target" -artifact_prefix="fuzz/artifacts/$target/" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$corpus" "fuzz/seeds/$target" \
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
