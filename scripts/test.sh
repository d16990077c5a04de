#!/usr/bin/env bash
# The project's whole test run, from a fresh Debian machine (as root) to a green suite:
# installs what the tests need, then checks formatting, lints, docs, the library's feature
# combinations and package, the deploy files, the fuzz targets, that the benchmarks build, and
# every test -- including the `#[ignore]`d ones that need the installed tools
# (`cargo test -- --include-ignored`). Last, it checks that nothing was left behind.
#
#   scripts/test.sh            the whole run (CI runs exactly this: .ci/run)
#   scripts/test.sh --quick    a local iteration: no fuzzing, no benchmark build, no feature
#                              combinations, no `cargo package`; every test still runs
#   FUZZ_SECONDS=N             seconds per fuzz target (default 10; 0 skips fuzzing)
#
# What it installs, and where:
#   - scripts/install-test-deps.sh: Debian packages (prometheus, curl, openssl, shellcheck,
#     python3-venv) system-wide with apt-get, and kubernetes-validate and prometheus_client in
#     a virtualenv at target/test-venv;
#   - scripts/fuzz.sh: libFuzzer's prebuilt runtime, unpacked from Debian's libfuzzer-N-dev
#     package file into target/tools/libfuzzer (nothing installed system-wide);
#   - cargo: crates from crates.io into cargo's usual cache ($CARGO_HOME, ~/.cargo by default).
# Logs that would drown this one (libFuzzer's progress) go to target/fuzz-logs/.
#
# Nothing left behind: everything runs with TMPDIR set to a fresh private folder, which must be
# empty at the end (then it is removed); the outer $TMPDIR is compared with a listing taken at
# the start; and no key or token file written during the run may be readable by group or others.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '8,12p' "$0" | sed 's/^# \{0,1\}//'; }
quick=false
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
fuzz_seconds="${FUZZ_SECONDS:-10}"
if ! [[ "$fuzz_seconds" =~ ^[0-9]+$ ]]; then
  echo "test.sh: FUZZ_SECONDS must be a whole number of seconds (0 skips fuzzing), not '$fuzz_seconds'" >&2
  exit 2
fi
if [ "$quick" = true ]; then fuzz_seconds=0; fi

# Each step's wall time, printed at the end.
timings=()
step_name=""
step_start=$SECONDS
step_end() {
  if [ -n "$step_name" ]; then
    timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
  fi
}
step() {
  step_end
  step_name="$*"
  step_start=$SECONDS
  printf '\n==> %s\n' "$*"
}
skip() { printf '\n==> %s: skipped (%s)\n' "$1" "$2"; }

# --- what the run must not leave behind -----------------------------------------------------
outer_tmp="${TMPDIR:-/tmp}"
mkdir -p target
marker="target/.test-run-started"
touch "$marker"
# Other processes may remove their files while find walks: its complaints are not ours.
tmp_listing() { { find "$outer_tmp" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null || true; } | sort; }
tmp_before="$(tmp_listing)"
run_tmp="$(mktemp -d "$outer_tmp/antrea-metrics-test.XXXXXX")"
chmod 0700 "$run_tmp"
export TMPDIR="$run_tmp"
# On failure, say where the run's temporary files are (kept for a look).
trap 'echo "test.sh: failed; temporary files of this run, if any: $run_tmp" >&2' ERR

if [ -x scripts/install-test-deps.sh ]; then
  step "installing test dependencies (Debian packages, target/test-venv)"
  scripts/install-test-deps.sh
fi

step "library layers: no import circle, at most 10 imports that run back up (scripts/layers.py)"
python3 scripts/layers.py

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, all features, -D warnings)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

if [ "$quick" = true ]; then
  skip "library feature combinations" "--quick"
else
  step "library feature combinations: none and each feature alone (all: above and below)"
  cargo test -p antrea-metrics --lib --no-default-features
  cargo clippy -p antrea-metrics --all-targets --no-default-features -- -D warnings
  for feature in process server kube-auth; do
    echo "--- --features $feature"
    cargo clippy -p antrea-metrics --all-targets --no-default-features --features "$feature" -- -D warnings
  done
fi

step "cargo doc (-D warnings): the server feature alone, then all features"
# In this order, so that target/doc ends up documenting every feature.
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps -p antrea-metrics --no-default-features --features server
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace --all-features

if [ "$quick" = true ]; then
  skip "cargo package -p antrea-metrics" "--quick"
else
  step "cargo package -p antrea-metrics (the published crate builds on its own)"
  cargo package -p antrea-metrics
fi

if [ -x scripts/check-deploy.sh ]; then
  step "deploy files: promtool, dashboard, Kubernetes manifests, shellcheck"
  scripts/check-deploy.sh
fi

if [ "$fuzz_seconds" -eq 0 ]; then
  skip "fuzz targets" "FUZZ_SECONDS=0 or --quick"
else
  step "fuzz targets: build, and run each for ${fuzz_seconds}s (longer runs: scripts/fuzz.sh 60)"
  scripts/fuzz.sh "$fuzz_seconds"
fi

if [ "$quick" = true ]; then
  skip "benchmarks and load tools build" "--quick; clippy has checked their code"
else
  # The test profile, not `cargo bench --no-run`'s release one: this checks that they build and
  # link, sharing the test build's dependencies instead of building all of them a second time.
  step "benchmarks and load tools build (package antrea-metrics-bench)"
  cargo build -p antrea-metrics-bench --benches --bins
fi

# Among the tests: downstream crates with each shape of `prometheus` (tests/it/downstream.rs)
# and the README's recipes run verbatim (tests/it/readme_recipes.rs). Not --all-features: the
# only feature it adds is `fuzzing` (checked by clippy and the fuzz build above), and without it
# the simulators the tests build with a nested `cargo build --example` match this build's
# features, so that build finds them fresh instead of compiling the library again.
# The one ignored test that needs no tool but is a measurement on demand (it builds and attacks
# a simulator for docs/reliability.md's figures) is skipped by name.
step "cargo test (workspace, including the tests that need the installed tools)"
cargo test --workspace -- --include-ignored \
  --skip admission::the_three_attacks_against_a_release_sim_agent

step "nothing left behind (temporary files, readable keys and tokens)"
export TMPDIR="$outer_tmp"
left="$(find "$run_tmp" -mindepth 1 -maxdepth 2 | head -n 50 || true)"
if [ -n "$left" ]; then
  printf 'test.sh: the run left files in its TMPDIR (%s):\n%s\n' "$run_tmp" "$left" >&2
  exit 1
fi
rmdir "$run_tmp"
new_outer="$(comm -13 <(printf '%s\n' "$tmp_before") <(tmp_listing) | sed '/^$/d')"
if [ -n "$new_outer" ]; then
  printf 'test.sh: new entries in %s since the run started (made by the run, unless something else ran beside it):\n%s\n' \
    "$outer_tmp" "$new_outer" >&2
  exit 1
fi
readable="$({ find . "$outer_tmp" -xdev -newer "$marker" -type f \
  \( -name '*.key' -o -name '*key.pem' -o -name '*.token' -o -name token \) -perm /044 \
  -not -path './target/package/*' -not -path './target/test-venv/*' 2>/dev/null || true; } |
  head -n 50)"
if [ -n "$readable" ]; then
  printf 'test.sh: key or token files readable by group or others:\n%s\n' "$readable" >&2
  exit 1
fi
echo "no temporary files left; no key or token file readable by others"
step_end

printf '\n==> time per step\n'
printf '%s\n' "${timings[@]}"
printf '\n==> all checks passed\n'
