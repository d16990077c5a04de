#!/usr/bin/env bash
# Measures what scraping a simulated fleet of Antrea agents costs: for each fleet size, runs
# sim-fleet and Debian's Prometheus (deploy/prometheus/fleet.yml, 15 s scrapes) on loopback and
# prints one Markdown table row (the table in docs/scale.md):
#
#   Nodes | targets up | scrape duration p50 / p99 | fleet CPU per scrape | fleet RSS, and per Node |
#   samples per scrape | Prometheus head series | Prometheus RSS | Prometheus CPU per scrape
#
# Per run: the fleet starts and steps alone for IDLE seconds (its stepping CPU, subtracted from
# the per-scrape figure; as long as the measured window by default, for the 10 ms tick
# resolution of /proc/PID/stat), Prometheus starts and settles for WARMUP seconds (targets discovered,
# first scrapes), then MEASURE seconds are measured. Scrape durations are every sample of
# Prometheus' own `scrape_duration_seconds` in that window.
#
# Usage: scripts/scale.sh [NODES...]          (default: 10 100 1000)
# Environment: IDLE (default 120), WARMUP (30), MEASURE (120), BASE_PORT (20000), SEED (1).
# Needs cargo, Debian's prometheus, curl and python3 (scripts/install-test-deps.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
idle="${IDLE:-120}"
warmup="${WARMUP:-30}"
measure="${MEASURE:-120}"
base_port="${BASE_PORT:-20000}"
seed="${SEED:-1}"
sizes=("$@")
((${#sizes[@]} > 0)) || sizes=(10 100 1000)

die() { printf 'scale: ERROR: %s\n' "$*" >&2; exit 2; }
for tool in prometheus curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run scripts/install-test-deps.sh as root"
done

cargo build --quiet --release --manifest-path "$repo/Cargo.toml" --example sim-fleet
fleet_bin="$repo/target/release/examples/sim-fleet"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/scale.XXXXXX")"
fleet_pid=""
prom_pid=""
stop() {
    local pid
    for pid in "$prom_pid" "$fleet_pid"; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    prom_pid=""
    fleet_pid=""
    return 0
}
# On failure, the last lines the fleet and Prometheus logged say why.
on_exit() {
    local status=$? log
    if ((status != 0)); then
        for log in "$tmp"/*/fleet.err "$tmp"/*/prometheus.log; do
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

printf '| Nodes | targets up | scrape p50 / p99 (ms) | fleet CPU ms per scrape | fleet RSS (MiB) | fleet RSS per Node (KiB) | samples per scrape | Prometheus head series | Prometheus RSS (MiB) | Prometheus CPU ms per scrape |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for nodes in "${sizes[@]}"; do
    dir="$tmp/$nodes"
    mkdir -p "$dir/run"
    cp "$repo/deploy/prometheus/fleet.yml" "$repo/deploy/prometheus/antrea-alerts.yml" "$dir/"
    RUST_LOG=warn "$fleet_bin" --nodes "$nodes" --listen "127.0.0.1:$base_port" --seed "$seed" \
        --token-file "$dir/run/fleet.token" --write-ca "$dir/run/fleet-ca.pem" \
        --file-sd "$dir/run/fleet.json" --duration $((idle + warmup + measure + 60)) \
        >"$dir/fleet.out" 2>"$dir/fleet.err" &
    fleet_pid=$!
    wait_for 60 "sim-fleet's banner" grep -q '^try:' "$dir/fleet.out"

    cpu_idle_start="$(cpu_ns "$fleet_pid")"
    sleep "$idle"
    cpu_idle=$(($(cpu_ns "$fleet_pid") - cpu_idle_start))

    prom_port="$(free_port)"
    prometheus --config.file="$dir/fleet.yml" --storage.tsdb.path="$dir/tsdb" \
        --web.listen-address="127.0.0.1:$prom_port" --log.level=warn \
        >"$dir/prometheus.log" 2>&1 &
    prom_pid=$!
    wait_for 60 "Prometheus to be ready" curl -fs "http://127.0.0.1:$prom_port/-/ready"
    sleep "$warmup"

    cpu_start="$(cpu_ns "$fleet_pid")"
    prom_cpu_start="$(cpu_ns "$prom_pid")"
    sleep "$measure"
    cpu=$(($(cpu_ns "$fleet_pid") - cpu_start))
    prom_cpu=$(($(cpu_ns "$prom_pid") - prom_cpu_start))
    end="$(date +%s.%N)"
    fleet_rss="$(rss_kib "$fleet_pid")"
    prom_rss="$(rss_kib "$prom_pid")"
    api="http://127.0.0.1:$prom_port/api/v1/query"
    curl -fsS "$api" --data-urlencode "time=$end" -o "$dir/durations.json" \
        --data-urlencode "query=scrape_duration_seconds{job=\"antrea-agents\"}[${measure}s]"
    curl -fsS "$api" -o "$dir/up.json" --data-urlencode 'query=up{job="antrea-agents"}'
    curl -fsS "$api" -o "$dir/samples.json" \
        --data-urlencode 'query=avg(scrape_samples_scraped{job="antrea-agents"})'
    curl -fsS "http://127.0.0.1:$prom_port/metrics" -o "$dir/prometheus.prom"
    stop

    python3 - "$nodes" "$cpu" "$cpu_idle" "$idle" "$measure" "$fleet_rss" "$prom_rss" \
        "$prom_cpu" "$dir" <<'PY'
import json, sys
(nodes, cpu, cpu_idle, idle, measure, fleet_rss, prom_rss, prom_cpu, out) = sys.argv[1:]
load = lambda name: json.load(open(f"{out}/{name}"))
durations, up = load("durations.json"), load("up.json")
per_target = float(load("samples.json")["data"]["result"][0]["value"][1])
prom_metrics = open(f"{out}/prometheus.prom").read()
nodes, ns = int(nodes), 1e9
samples = sorted(float(v) for s in durations["data"]["result"] for _, v in s["values"])
if not samples:
    sys.exit(f"scale: no scrape_duration_seconds samples for {nodes} Nodes")
q = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]
targets = up["data"]["result"]
up_count = sum(1 for t in targets if t["value"][1] == "1")
# Stepping CPU is what the fleet spends without scrapes; the rest is serving.
stepping = int(cpu_idle) / int(idle) * int(measure)
per_scrape_ms = max(0.0, int(cpu) - stepping) / ns / len(samples) * 1000
head = next(float(l.split()[1]) for l in prom_metrics.splitlines()
            if l.startswith("prometheus_tsdb_head_series "))
prom_ms = int(prom_cpu) / ns / len(samples) * 1000
print(f"| {nodes:,} | {up_count:,} / {nodes:,} | {q(0.5) * 1000:.1f} / {q(0.99) * 1000:.1f} "
      f"| {per_scrape_ms:.2f} | {int(fleet_rss) / 1024:,.0f} | {int(fleet_rss) / nodes:,.0f} "
      f"| {per_target:,.0f} | {head:,.0f} | {int(prom_rss) / 1024:,.0f} | {prom_ms:.2f} |", flush=True)
print(f"scale: {nodes} Nodes: {len(samples)} scrapes measured, fleet CPU {int(cpu) / ns:.3f} s "
      f"in {measure} s ({stepping / ns:.3f} s of it stepping), fleet RSS {int(fleet_rss) / 1024:.0f} MiB",
      file=sys.stderr)
PY
done
