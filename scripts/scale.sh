#!/usr/bin/env bash
# Measures what scraping a simulated fleet of Antrea agents costs: for each fleet size, runs
# sim-fleet and Debian's Prometheus on loopback and prints one Markdown table row (the tables in
# docs/scale.md). Either one Prometheus scrapes every Node (deploy/prometheus/fleet.yml), or,
# with --shards K, K agent-mode Prometheus shards (deploy/prometheus/shard.yml) split the Nodes
# and remote-write into a central Prometheus (deploy/prometheus/central.yml) that evaluates the
# rules and scrapes the shards' own metrics:
#
#   Nodes | shards | targets up | scrape p50 / p99 | fleet CPU per scrape | fleet RSS, and per Node |
#   samples per scrape | head series | store RSS | store CPU per scrape |
#   shard RSS | shard CPU per scrape | remote-write lag p99
#
# Per run: the fleet starts and steps alone for IDLE seconds (its stepping CPU, subtracted from
# the per-scrape figure), Prometheus (the store, then the shards) starts and settles for WARMUP
# seconds (targets discovered, first scrapes, queues started), then MEASURE seconds are
# measured. Scrape durations are every sample of Prometheus' own `scrape_duration_seconds` for
# the agents' job in that window (remote-written by the shards when sharded). The remote-write
# lag is polled from each shard's /metrics every second: the newest sample it has appended
# less the newest it has sent (which the store had appended and made queryable before it
# answered), both in whole seconds as Prometheus exports them.
#
# Usage: scripts/scale.sh [--shards K] [NODES...]   (default: one Prometheus; 10 100 1000)
# Environment: IDLE (default 120), WARMUP (30), MEASURE (120), INTERVAL (15s), BASE_PORT
# (20000, below the kernel's ephemeral port range), SEED (1).
# Needs cargo, Debian's prometheus, curl and python3 (scripts/install-test-deps.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
idle="${IDLE:-120}"
warmup="${WARMUP:-30}"
measure="${MEASURE:-120}"
interval="${INTERVAL:-15s}"
base_port="${BASE_PORT:-20000}"
seed="${SEED:-1}"
shards=0
die() { printf 'scale: ERROR: %s\n' "$*" >&2; exit 2; }
if [[ "${1:-}" == --shards ]]; then
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--shards needs a number of shards, 1 or more"
    shards="$2"
    shift 2
fi
sizes=("$@")
((${#sizes[@]} > 0)) || sizes=(10 100 1000)
[[ "$interval" =~ ^[1-9][0-9]*s$ ]] || die "INTERVAL must be whole seconds, like 15s"
# The scrape timeout: Prometheus' own rule, at most the interval; 10 s at 15 s.
timeout_s=$(( ${interval%s} * 2 / 3 ))
((timeout_s >= 1)) || timeout_s=1

for tool in prometheus curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run scripts/install-test-deps.sh as root"
done

cargo build --quiet --release --manifest-path "$repo/Cargo.toml" --example sim-fleet
fleet_bin="$repo/target/release/examples/sim-fleet"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/scale.XXXXXX")"
fleet_pid=""
prom_pids=()
poll_pids=()
stop() {
    local pid
    for pid in "${poll_pids[@]}" "${prom_pids[@]}" "$fleet_pid"; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    poll_pids=()
    prom_pids=()
    fleet_pid=""
    return 0
}
# On failure, the last lines the fleet and Prometheus logged say why.
on_exit() {
    local status=$? log
    if ((status != 0)); then
        for log in "$tmp"/*/fleet.err "$tmp"/*/*.log; do
            [[ -s "$log" ]] && { printf 'scale: == %s\n' "$log" >&2; tail -n 20 "$log" >&2; }
        done
    fi
    stop
    rm -rf "$tmp"
}
trap on_exit EXIT

# cpu_ns PID: user + system CPU of a process, threads that have exited included, in
# nanoseconds; /proc/PID/stat counts it in clock ticks (10 ms), which over a 120 s window is
# well under the figures measured. (Summing the live threads' schedstat is finer but loses the
# time of threads that exit, as a Go runtime's or tokio's blocking threads do.)
ticks_ns=$((1000000000 / $(getconf CLK_TCK)))
cpu_ns() { awk -v t="$ticks_ns" '{ printf "%.0f\n", ($14 + $15) * t }' "/proc/$1/stat"; }
# rss_kib PID
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.5 s.
wait_for() {
    local limit="$1" what="$2"; shift 2
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || die "timed out after ${limit}s waiting for $what"
        sleep 0.5
    done
}
# alive PID WHAT: fails, saying which process died, when PID has exited.
alive() { kill -0 "$1" 2>/dev/null || die "$2 (pid $1) exited; its log follows"; }
# with_interval FILE: the deploy config FILE with the run's scrape interval and timeout.
with_interval() {
    sed -e "s/scrape_interval: 15s/scrape_interval: $interval/" \
        -e "s/scrape_timeout: 10s/scrape_timeout: ${timeout_s}s/" \
        -e "s/evaluation_interval: 15s/evaluation_interval: $interval/" "$1"
}
# start_prometheus DIR NAME PORT ARGS...: one Prometheus, its log in DIR/NAME.log.
start_prometheus() {
    local dir="$1" name="$2" port="$3"; shift 3
    prometheus --web.listen-address="127.0.0.1:$port" --log.level=warn "$@" \
        >"$dir/$name.log" 2>&1 &
    prom_pids+=("$!")
    wait_for 60 "$name to be ready" curl -fs "http://127.0.0.1:$port/-/ready"
}
# poll_lag PORT OUT: every second, a shard's newest appended and newest sent timestamps.
poll_lag() {
    local end=$((SECONDS + measure))
    while ((SECONDS < end)); do
        curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '
            /^prometheus_remote_storage_highest_timestamp_in_seconds / { h = $2 }
            /^prometheus_remote_storage_queue_highest_sent_timestamp_seconds\{/ { s = $2 }
            END { if (h != "" && s != "") print h - s }' >>"$2" || true
        sleep 1
    done
}

printf '| Nodes | shards | targets up | scrape p50 / p99 (ms) | fleet CPU ms per scrape | fleet RSS (MiB) | fleet RSS per Node (KiB) | samples per scrape | head series | store RSS (MiB) | store CPU ms per scrape | shard RSS (MiB) | shard CPU ms per scrape | remote-write lag p99 (s) |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for nodes in "${sizes[@]}"; do
    dir="$tmp/$nodes"
    mkdir -p "$dir/run"
    RUST_LOG=warn "$fleet_bin" --nodes "$nodes" --listen "127.0.0.1:$base_port" --seed "$seed" \
        --token-file "$dir/run/fleet.token" --write-ca "$dir/run/fleet-ca.pem" \
        --file-sd "$dir/run/fleet.json" --duration $((idle + warmup + measure + 120)) \
        >"$dir/fleet.out" 2>"$dir/fleet.err" &
    fleet_pid=$!
    wait_for 120 "sim-fleet's banner" grep -q '^try:' "$dir/fleet.out"

    cpu_idle_start="$(cpu_ns "$fleet_pid")"
    sleep "$idle"
    alive "$fleet_pid" sim-fleet
    cpu_idle=$(($(cpu_ns "$fleet_pid") - cpu_idle_start))

    store_port="$(free_port)"
    shard_ports=()
    if ((shards == 0)); then
        with_interval "$repo/deploy/prometheus/fleet.yml" >"$dir/fleet.yml"
        cp "$repo/deploy/prometheus/antrea-alerts.yml" "$dir/"
        start_prometheus "$dir" prometheus "$store_port" --config.file="$dir/fleet.yml" \
            --storage.tsdb.path="$dir/tsdb"
    else
        with_interval "$repo/deploy/prometheus/central.yml" >"$dir/central.yml"
        cp "$repo/deploy/prometheus/antrea-alerts.yml" "$repo/deploy/prometheus/sharding-alerts.yml" "$dir/"
        for ((i = 0; i < shards; i++)); do shard_ports+=("$(free_port)"); done
        python3 -c 'import json, sys; print(json.dumps([{"targets": [f"127.0.0.1:{p}" for p in sys.argv[1:]]}]))' \
            "${shard_ports[@]}" >"$dir/run/shards.json"
        start_prometheus "$dir" central "$store_port" --config.file="$dir/central.yml" \
            --storage.tsdb.path="$dir/tsdb" --web.enable-remote-write-receiver
        for ((i = 0; i < shards; i++)); do
            with_interval "$repo/deploy/prometheus/shard.yml" \
                | sed -e "s/__SHARD_INDEX__/$i/g" -e "s/__SHARD_COUNT__/$shards/g" \
                      -e "s#url: http://127.0.0.1:19090/#url: http://127.0.0.1:$store_port/#" \
                >"$dir/shard-$i.yml"
            start_prometheus "$dir" "shard-$i" "${shard_ports[$i]}" --enable-feature=agent \
                --config.file="$dir/shard-$i.yml" --storage.agent.path="$dir/agent-$i"
        done
    fi
    sleep "$warmup"

    cpu_start="$(cpu_ns "$fleet_pid")"
    prom_cpu_start=()
    for pid in "${prom_pids[@]}"; do prom_cpu_start+=("$(cpu_ns "$pid")"); done
    for ((i = 0; i < shards; i++)); do
        poll_lag "${shard_ports[$i]}" "$dir/lag.txt" &
        poll_pids+=("$!")
    done
    sleep "$measure"
    alive "$fleet_pid" sim-fleet
    cpu=$(($(cpu_ns "$fleet_pid") - cpu_start))
    # The store first, then each shard: CPU in the window and RSS at its end.
    prom_figures=()
    for i in "${!prom_pids[@]}"; do
        alive "${prom_pids[$i]}" "Prometheus process $i"
        prom_figures+=("$(($(cpu_ns "${prom_pids[$i]}") - prom_cpu_start[i])):$(rss_kib "${prom_pids[$i]}")")
    done
    end="$(date +%s.%N)"
    fleet_rss="$(rss_kib "$fleet_pid")"
    api="http://127.0.0.1:$store_port/api/v1/query"
    curl -fsS "$api" --data-urlencode "time=$end" -o "$dir/durations.json" \
        --data-urlencode "query=scrape_duration_seconds{job=\"antrea-agents\"}[${measure}s]"
    curl -fsS "$api" -o "$dir/up.json" --data-urlencode 'query=up{job="antrea-agents"}'
    curl -fsS "$api" -o "$dir/samples.json" \
        --data-urlencode 'query=avg(scrape_samples_scraped{job="antrea-agents"})'
    curl -fsS "http://127.0.0.1:$store_port/metrics" -o "$dir/store.prom"
    stop
    touch "$dir/lag.txt"

    python3 - "$nodes" "$shards" "$cpu" "$cpu_idle" "$idle" "$measure" "$fleet_rss" "$dir" \
        "${prom_figures[@]}" <<'PY'
import json, sys
(nodes, shards, cpu, cpu_idle, idle, measure, fleet_rss, out), procs = sys.argv[1:9], sys.argv[9:]
load = lambda name: json.load(open(f"{out}/{name}"))
durations, up = load("durations.json"), load("up.json")
per_target = float(load("samples.json")["data"]["result"][0]["value"][1])
store_metrics = open(f"{out}/store.prom").read()
nodes, shards, ns = int(nodes), int(shards), 1e9
samples = sorted(float(v) for s in durations["data"]["result"] for _, v in s["values"])
if not samples:
    sys.exit(f"scale: no scrape_duration_seconds samples for {nodes} Nodes")
q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
targets = up["data"]["result"]
up_count = sum(1 for t in targets if t["value"][1] == "1")
# Stepping CPU is what the fleet spends without scrapes; the rest is serving.
stepping = int(cpu_idle) / int(idle) * int(measure)
per_scrape_ms = max(0.0, int(cpu) - stepping) / ns / len(samples) * 1000
head = next(float(l.split()[1]) for l in store_metrics.splitlines()
            if l.startswith("prometheus_tsdb_head_series "))
figures = [tuple(int(x) for x in p.split(":")) for p in procs]
(store_cpu, store_rss), shard_figs = figures[0], figures[1:]
store_ms = store_cpu / ns / len(samples) * 1000
if shards:
    # Each shard's CPU over its own scrapes (about Nodes / shards each; all of them together).
    shard_rss = " / ".join(f"{rss / 1024:,.0f}" for _, rss in shard_figs)
    shard_ms = f"{sum(c for c, _ in shard_figs) / ns / len(samples) * 1000:.2f}"
    lags = sorted(float(l) for l in open(f"{out}/lag.txt") if l.strip())
    lag = f"{q(lags, 0.99):.0f} (max {lags[-1]:.0f}, {len(lags)} polls)" if lags else "no polls"
else:
    shard_rss = shard_ms = lag = "–"
print(f"| {nodes:,} | {shards or 'none'} | {up_count:,} / {nodes:,} "
      f"| {q(samples, 0.5) * 1000:.1f} / {q(samples, 0.99) * 1000:.1f} "
      f"| {per_scrape_ms:.2f} | {int(fleet_rss) / 1024:,.0f} | {int(fleet_rss) / nodes:,.0f} "
      f"| {per_target:,.0f} | {head:,.0f} | {store_rss / 1024:,.0f} | {store_ms:.2f} "
      f"| {shard_rss} | {shard_ms} | {lag} |", flush=True)
print(f"scale: {nodes} Nodes, {shards} shards: {len(samples)} scrapes measured, fleet CPU "
      f"{int(cpu) / ns:.3f} s in {measure} s ({stepping / ns:.3f} s of it stepping), fleet RSS "
      f"{int(fleet_rss) / 1024:.0f} MiB", file=sys.stderr)
PY
done
