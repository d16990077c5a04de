#!/usr/bin/env bash
# One complete benchmark run, as BENCHMARKS.md reports it: the criterion groups (hot_paths,
# contention, scrape), client_golang's hot paths (perf-go), and HTTPS load runs against our
# server and Antrea's own stack (antrea-ref); then the Markdown tables, as ratios within this run.
# Usage: benches/run-all.sh   (env: LOAD_SECONDS=5, CONNECTIONS=1,16,64)
# Logs and tables go to target/bench-run/. Needs root once, to install Debian's Go packages.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-run
shared=../shared
mkdir -p "$out"
LOAD_SECONDS=${LOAD_SECONDS:-5}
CONNECTIONS=${CONNECTIONS:-1,16,64}

step() { printf '\n==> %s\n' "$*" >&2; }

step "build"
cargo build --release --workspace --bins --benches --examples
[ -x target/go-reference/antrea-ref ] || "$shared/go-reference/build.sh" target/go-reference

step "criterion: hot_paths, contention, scrape"
rm -rf target/criterion
cargo bench -p antrea-metrics-bench --bench hot_paths --bench contention --bench scrape 2>&1 | tee "$out/criterion.log"

step "client_golang hot paths (perf-go)"
spec="$(cd "$shared/spec" && pwd)/antrea-metrics.json"
(cd "$shared/go-reference/perf-go" && ANTREA_SPEC="$spec" \
  "$OLDPWD/target/go-reference/perf-go.test" -test.run '^$' -test.bench . -test.benchmem \
  -test.benchtime 1s) 2>&1 | tee "$out/perf-go.log"

step "server load runs (loopback only)"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp/token"
: > "$out/server.log"

# Waits until the server at $1 answers /healthz-less TLS connects (bounded: 10 s).
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

load() { # label port pid
  target/release/scrape-load --addr "127.0.0.1:$2" --ca "$tmp/ca-$1.pem" \
    --token-file "$tmp/token" --connections "$CONNECTIONS" --seconds "$LOAD_SECONDS" \
    --label "$1" --pid "$3" | tee -a "$out/server.log"
}

port=18350
(cd "$shared/go-reference" && exec "$OLDPWD/target/go-reference/antrea-ref" -component agent \
  -listen "127.0.0.1:$port" -token-file "$tmp/token" -write-cert "$tmp/ca-antrea-ref.pem" \
  -drive -runtime=false -spec "$spec") > "$out/antrea-ref.log" 2>&1 &
pids+=($!)
wait_port $port
load antrea-ref $port "${pids[-1]}"
kill "${pids[-1]}"

if [ -x target/release/perf-serve ]; then
  port=18351
  target/release/perf-serve --listen "127.0.0.1:$port" --token-file "$tmp/token" \
    --write-ca "$tmp/ca-ours.pem" > "$out/perf-serve.log" 2>&1 &
  pids+=($!)
  wait_port $port
  load ours $port "${pids[-1]}"
  kill "${pids[-1]}"
fi

# The simulated agent itself, as a user runs it (richer content than perf-serve: conntrack,
# FQDN, proxy), on 2 serving threads like antrea-ref's two Go procs.
port=18352
target/release/examples/sim-agent --listen "127.0.0.1:$port" --token-file "$tmp/token" \
  --write-ca "$tmp/ca-sim-agent.pem" --threads 2 --seed 1 --duration 600 \
  > "$out/sim-agent.log" 2>&1 &
pids+=($!)
wait_port $port
load sim-agent $port "${pids[-1]}"
kill "${pids[-1]}"

step "tables"
target/release/bench-report target/criterion "$out" | tee "$out/tables.md"
