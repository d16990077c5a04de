#!/usr/bin/env bash
# The project's whole test run, from a fresh Debian machine (as root) to a green suite:
# installs what the tests need, then checks formatting, lints, docs, every test, the deploy
# files, and that the benchmarks build.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ -x scripts/install-test-deps.sh ]; then
  step "installing test dependencies"
  scripts/install-test-deps.sh
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, all features, -D warnings)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo doc (-D warnings)"
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace --all-features

if [ -x scripts/check-deploy.sh ]; then
  step "deploy files: promtool, dashboard, Kubernetes manifests"
  scripts/check-deploy.sh
fi

step "fuzz targets: build, and run each briefly (longer runs: scripts/fuzz.sh 60)"
scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

step "benchmarks build"
cargo bench --workspace --no-run

# Last, so that the test runner's summary closes the log.
step "cargo test (workspace, all features)"
cargo test --workspace --all-features

step "all checks passed"
