#!/usr/bin/env bash
# The project's whole test run, from a fresh Debian machine (as root) to a green suite:
# installs what the tests need, then checks formatting, lints, docs, the library's feature
# combinations and package, every test, the deploy files, and that the benchmarks build.
#
# What it installs, and where:
#   - scripts/install-test-deps.sh: Debian packages (prometheus, curl, openssl, python3-venv)
#     system-wide with apt-get, and kubernetes-validate in a virtualenv at target/test-venv;
#   - scripts/fuzz.sh: cargo-fuzz into target/tools/bin (not ~/.cargo/bin);
#   - cargo: crates from crates.io into cargo's usual cache ($CARGO_HOME, ~/.cargo by default).
# Logs that would drown this one (libFuzzer's progress) go to target/fuzz-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ -x scripts/install-test-deps.sh ]; then
  step "installing test dependencies (Debian packages, target/test-venv)"
  scripts/install-test-deps.sh
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, all features, -D warnings)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "library feature combinations: none and each feature alone (all: above and below)"
cargo test -p antrea-metrics --lib --no-default-features
cargo clippy -p antrea-metrics --all-targets --no-default-features -- -D warnings
for feature in process server kube-auth; do
  echo "--- --features $feature"
  cargo clippy -p antrea-metrics --all-targets --no-default-features --features "$feature" -- -D warnings
done

step "cargo doc (-D warnings)"
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace --all-features

step "cargo package -p antrea-metrics (the published crate builds on its own)"
cargo package -p antrea-metrics

if [ -x scripts/check-deploy.sh ]; then
  step "deploy files: promtool, dashboard, Kubernetes manifests"
  scripts/check-deploy.sh
fi

step "fuzz targets: build, and run each briefly (longer runs: scripts/fuzz.sh 60)"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

step "benchmarks and load tools build (package antrea-metrics-bench)"
cargo bench --workspace --no-run

# Last, so that the test runner's summary closes the log. Among the tests: downstream crates
# with each shape of `prometheus` (tests/downstream.rs) and the README's recipes run verbatim
# (tests/readme_recipes.rs, with release builds of the simulators).
step "cargo test (workspace, all features)"
cargo test --workspace --all-features

# Marked #[ignore] because it needs Debian's prometheus, which this script has installed.
step "the sharded Prometheus end-to-end test (ignored by a plain cargo test)"
cargo test --all-features --test sharded_prometheus -- --ignored

step "all checks passed"
