#!/usr/bin/env bash
# One complete benchmark run, as BENCHMARKS.md reports it: the criterion groups (hot_paths,
# contention, scrape), client_golang's hot paths (perf-go), and HTTPS load runs against our
# server and Antrea's own stack (antrea-ref); then the Markdown tables, as ratios within this run.
# Usage: benches/run-all.sh   (env: LOAD_SECONDS=5, CONNECTIONS=1,16,64, ROUNDS=2; LOAD_ONLY=1
# skips criterion and perf-go; SHARED=../shared is the folder with spec/ and go-reference/; BASELINE_DIR=dir also runs the perf-serve and sim-agent binaries
# in dir, labelled ours-before and sim-agent-before, alternated with the others)
# Every server is scraped uncompressed at CONNECTIONS and with Accept-Encoding: gzip (as
# Prometheus sends it) at 16 connections, each in a fresh process.
# Logs and tables go to target/bench-run/. Needs root once, to install Debian's Go packages.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench-run
shared=${SHARED:-../shared}
mkdir -p "$out"
LOAD_SECONDS=${LOAD_SECONDS:-5}
CONNECTIONS=${CONNECTIONS:-1,16,64}
ROUNDS=${ROUNDS:-2}

step() { printf '\n==> %s\n' "$*" >&2; }

# The load runs' servers and tools are built with the `lean` profile (fat LTO, one codegen
# unit: what a deployment would ship; PROFILE=release for the plain release build).
PROFILE=${PROFILE:-lean}
bin_dir=target/$PROFILE
step "build"
if [ "${LOAD_ONLY:-0}" != 1 ]; then
  cargo build --release --workspace --bins --benches --examples
fi
cargo build --profile "$PROFILE" -p antrea-metrics-bench --bins
cargo build --profile "$PROFILE" --example sim-agent
[ -x target/go-reference/antrea-ref ] || "$shared/go-reference/build.sh" target/go-reference
spec="$(cd "$shared/spec" && pwd)/antrea-metrics.json"

if [ "${LOAD_ONLY:-0}" != 1 ]; then
  step "criterion: hot_paths, contention, scrape, gzip"
  rm -rf target/criterion
  cargo bench -p antrea-metrics-bench --bench hot_paths --bench contention --bench scrape \
    --bench gzip 2>&1 | tee "$out/criterion.log"

  step "client_golang hot paths (perf-go)"
  (cd "$shared/go-reference/perf-go" && ANTREA_SPEC="$spec" \
    "$OLDPWD/target/go-reference/perf-go.test" -test.run '^$' -test.bench . -test.benchmem \
    -test.benchtime 1s) 2>&1 | tee "$out/perf-go.log"
fi

step "server load runs (loopback only; ${ROUNDS} round(s), servers alternated)"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tmp/token"
: > "$out/server.log"

# Waits until the server at $1 accepts TCP connections (bounded: 10 s).
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

# Starts server $1 (antrea-ref | ours | sim-agent, or ours/sim-agent from $BASELINE_DIR as
# ours-before/sim-agent-before) on port $2, runs scrape-load with the remaining arguments, stops
# it. A fresh process per call, so VmHWM is the peak of that load alone.
serve_and_load() {
  local label=$1 port=$2
  shift 2
  local ca="$tmp/ca-$label.pem" bin
  rm -f "$ca"
  case $label in
    antrea-ref)
      (cd "$shared/go-reference" && exec "$OLDPWD/target/go-reference/antrea-ref" -component agent \
        -listen "127.0.0.1:$port" -token-file "$tmp/token" -write-cert "$ca" \
        -drive -runtime=false -spec "$spec") >> "$out/antrea-ref.log" 2>&1 &
      ;;
    ours | ours-before)
      bin=$bin_dir/perf-serve
      [ "$label" = ours ] || bin="$BASELINE_DIR/perf-serve"
      "$bin" --listen "127.0.0.1:$port" --token-file "$tmp/token" --write-ca "$ca" \
        >> "$out/perf-serve.log" 2>&1 &
      ;;
    # The simulated agent itself, as a user runs it (richer content than perf-serve:
    # conntrack, FQDN, proxy), on 2 serving threads like antrea-ref's two Go procs.
    sim-agent | sim-agent-before)
      bin=$bin_dir/examples/sim-agent
      [ "$label" = sim-agent ] || bin="$BASELINE_DIR/sim-agent"
      "$bin" --listen "127.0.0.1:$port" --token-file "$tmp/token" --write-ca "$ca" \
        --threads 2 --seed 1 --duration 600 >> "$out/sim-agent.log" 2>&1 &
      ;;
  esac
  local pid=$!
  pids+=("$pid")
  wait_port "$port"
  for _ in $(seq 50); do [ -s "$ca" ] && break; sleep 0.1; done
  "$bin_dir"/scrape-load --addr "127.0.0.1:$port" --ca "$ca" --token-file "$tmp/token" \
    --seconds "$LOAD_SECONDS" --label "$label" --pid "$pid" "$@" | tee -a "$out/server.log"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

# The workload of perf-serve without its server, for as long as one load run: the server's
# marginal memory is the gzip run's VmHWM less this one.
workload_only() {
  "$bin_dir"/perf-serve --listen 127.0.0.1:1 --token-file "$tmp/token" --write-ca "$tmp/unused" \
    --no-server --seconds $((LOAD_SECONDS + 5)) > /dev/null &
  local pid=$!
  pids+=("$pid")
  sleep "$LOAD_SECONDS"
  local status rss hwm
  status=$(cat "/proc/$pid/status")
  rss=$(awk '/^VmRSS:/ {print $2}' <<< "$status")
  hwm=$(awk '/^VmHWM:/ {print $2}' <<< "$status")
  echo "memory: perf-serve-workload-only rss_kib=$rss hwm_kib=$hwm" | tee -a "$out/server.log"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

servers=(antrea-ref ours sim-agent)
if [ -n "${BASELINE_DIR:-}" ]; then servers+=(ours-before sim-agent-before); fi
port=18350
for round in $(seq "$ROUNDS"); do
  step "round $round"
  for s in "${servers[@]}"; do
    port=$((port + 1))
    serve_and_load "$s" "$port" --connections "$CONNECTIONS"
    port=$((port + 1))
    serve_and_load "$s" "$port" --connections 16 --gzip
  done
  workload_only
done

step "tables"
"$bin_dir"/bench-report target/criterion "$out" | tee "$out/tables.md"
