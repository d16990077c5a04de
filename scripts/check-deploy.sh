#!/usr/bin/env bash
# Offline checks of everything under deploy/:
#   1. promtool check config  deploy/prometheus/prometheus.yml and fleet.yml (temp copies, with
#      placeholder token, CA and file_sd files where the configs expect the simulators' files)
#   2. promtool check config  of the Prometheus config embedded in deploy/kubernetes/prometheus.yaml
#   2b. the sharded scrape: promtool check config --agent of deploy/prometheus/shard.yml rendered
#      for shards 0 and 1 of 2 and 3 of 4, promtool check config of central.yml, and of the
#      shard template (rendered by its init container's own script) and central config
#      embedded in deploy/kubernetes/prometheus-sharded.yaml, whose queue settings must be
#      shard.yml's
#   3. promtool check rules   deploy/prometheus/antrea-alerts.yml and sharding-alerts.yml
#   4. promtool test rules    deploy/prometheus/antrea-alerts.test.yml and sharding-alerts.test.yml
#   5. the Grafana dashboard: valid JSON, datasource variable, every spec metric family in a
#      panel of the right row, only known metric names, PromQL that parses (via promtool),
#      every panel described under its own heading in deploy/grafana/README.md
#   5b. the native-histogram variants: promtool check config deploy/prometheus/prometheus-native.yml,
#      and deploy/grafana/antrea-dashboard-native.json's PromQL parses and uses only native
#      histogram queries of known histogram families
#   6. kubernetes-validate --strict on every manifest in deploy/kubernetes/
#   7. shellcheck on every shell script of the project (scripts/, .ci/run, benches/*.sh)
# Prints one line per check and a closing "N passed, M failed"; exits non-zero on any failure.
#
# Needs promtool, openssl, shellcheck and kubernetes-validate: scripts/install-test-deps.sh installs them.
# Environment: TEST_VENV (default <repo>/target/test-venv), K8S_VERSION (default 1.30.0).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TEST_VENV:-${repo}/target/test-venv}"
k8s_version="${K8S_VERSION:-1.30.0}"
spec="${repo}/tests/data/antrea-metrics.json"

die() { printf 'check-deploy: ERROR: %s\n' "$*" >&2; exit 2; }

command -v promtool >/dev/null 2>&1 || die "promtool not found; run scripts/install-test-deps.sh as root"
command -v openssl >/dev/null 2>&1 || die "openssl not found; run scripts/install-test-deps.sh as root"
command -v shellcheck >/dev/null 2>&1 || die "shellcheck not found; run scripts/install-test-deps.sh as root"
[[ -x "$venv/bin/kubernetes-validate" ]] || die "$venv/bin/kubernetes-validate not found; run scripts/install-test-deps.sh"
[[ -f "$spec" ]] || die "metric spec $spec not found"
py="$venv/bin/python"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
failures=()

# run_check NAME COMMAND...: run a check, keep its output in a log, print it only on failure.
run_check() {
    local name="$1"; shift
    local log="$tmp/log.$((passed + failed))"
    local -a cmd=("$@")
    # Shell functions run as they are (their commands carry their own timeouts).
    declare -F "$1" >/dev/null || cmd=(timeout 300 "$@")
    if "${cmd[@]}" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'check-deploy: PASS %s\n' "$name"
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'check-deploy: FAIL %s\n' "$name"
        sed 's/^/    /' "$log"
    fi
}

# A throwaway self-signed certificate, standing in for the CA files the simulators write.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -keyout "$tmp/placeholder.key" -out "$tmp/placeholder-ca.pem" \
    >/dev/null 2>&1 || die "openssl could not make a placeholder certificate"

# --- 1. the local scrape config, in a temp copy with the run/ files it references ---------------
check_local_config() {
    local dir="$tmp/prometheus"
    mkdir -p "$dir/run" || return 1
    cp "$repo/deploy/prometheus/prometheus.yml" "$repo/deploy/prometheus/antrea-alerts.yml" "$dir/" || return 1
    for component in agent controller; do
        printf 'placeholder-token\n' >"$dir/run/${component}.token" || return 1
        cp "$tmp/placeholder-ca.pem" "$dir/run/${component}-ca.pem" || return 1
    done
    timeout 120 promtool check config "$dir/prometheus.yml"
}
run_check "promtool check config deploy/prometheus/prometheus.yml" check_local_config

check_fleet_config() {
    local dir="$tmp/prometheus-fleet"
    mkdir -p "$dir/run" || return 1
    cp "$repo/deploy/prometheus/fleet.yml" "$repo/deploy/prometheus/antrea-alerts.yml" "$dir/" || return 1
    printf 'placeholder-token\n' >"$dir/run/fleet.token" || return 1
    cp "$tmp/placeholder-ca.pem" "$dir/run/fleet-ca.pem" || return 1
    # promtool checks the file_sd file's shape (targets and labels) too.
    printf '[{"targets": ["127.0.0.1:20000"], "labels": {"node": "sim-node-0"}}]\n' \
        >"$dir/run/fleet.json" || return 1
    printf '[{"targets": ["127.0.0.1:20100"], "labels": {"component": "antrea-controller"}}]\n' \
        >"$dir/run/fleet-controller.json" || return 1
    timeout 120 promtool check config "$dir/fleet.yml"
}
run_check "promtool check config deploy/prometheus/fleet.yml" check_fleet_config

# --- 2. the in-cluster configs embedded in Kubernetes ConfigMaps ----------------------------------
# k8s_config MANIFEST CONFIGMAP KEY OUT: writes the config under KEY of ConfigMap CONFIGMAP to
# OUT, fit for promtool (which Debian builds without Kubernetes service discovery).
k8s_config() {
    local dir
    dir="$(dirname "$4")"
    mkdir -p "$dir" || return 1
    printf 'placeholder-token\n' >"$dir/token" || return 1
    timeout 120 "$py" - "$@" <<'PY'
import sys, yaml
manifest, name, key, out = sys.argv[1:5]
token = out.rsplit("/", 1)[0] + "/token"
cms = [d for d in yaml.safe_load_all(open(manifest))
       if d and d.get("kind") == "ConfigMap" and d["metadata"]["name"] == name]
if len(cms) != 1 or key not in cms[0].get("data", {}):
    sys.exit(f"expected one ConfigMap {name} with {key} in {manifest}")
cfg = cms[0]["data"][key]
# Point the in-cluster token path at a placeholder file that exists here.
cfg = cfg.replace("/var/run/secrets/kubernetes.io/serviceaccount/token", token)
parsed = yaml.safe_load(cfg)
# Debian's promtool is built without Kubernetes service discovery ("field
# kubernetes_sd_configs not found"). Check those blocks here, then hand promtool the rest of
# the config with each one replaced by an empty static config.
sd_keys = {"role", "namespaces", "selectors", "api_server", "kubeconfig_file",
           "attach_metadata", "follow_redirects", "enable_http2", "tls_config",
           "authorization", "basic_auth", "oauth2", "bearer_token", "bearer_token_file",
           "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"}
roles = {"pod", "endpoints", "endpointslice", "service", "node", "ingress"}
for job in parsed["scrape_configs"]:
    for sd in job.pop("kubernetes_sd_configs", None) or []:
        unknown = set(sd) - sd_keys
        if unknown or sd.get("role") not in roles:
            sys.exit(f"job {job['job_name']}: bad kubernetes_sd_configs entry {sd}")
        ns = sd.get("namespaces", {})
        if set(ns) - {"names", "own_namespace"} or not all(isinstance(n, str) for n in ns.get("names", [])):
            sys.exit(f"job {job['job_name']}: bad kubernetes_sd_configs namespaces {ns}")
        job.setdefault("static_configs", []).append({"targets": []})
open(out, "w").write(yaml.safe_dump(parsed, sort_keys=False))
PY
}

# jobs FILE JOB...: FILE's scrape jobs are exactly JOB...
jobs() {
    local file="$1"; shift
    timeout 60 "$py" - "$file" "$@" <<'PY'
import sys, yaml
path, want = sys.argv[1], sorted(sys.argv[2:])
got = sorted(j["job_name"] for j in yaml.safe_load(open(path))["scrape_configs"])
if got != want:
    sys.exit(f"{path}: scrape jobs {got}, expected {want}")
PY
}

check_k8s_config() {
    local out="$tmp/k8s-prometheus/prometheus.yml"
    k8s_config "$repo/deploy/kubernetes/prometheus.yaml" prometheus-server-conf prometheus.yml "$out" \
        && jobs "$out" antrea-agents antrea-controllers \
        && timeout 120 promtool check config "$out"
}
run_check "promtool check config (ConfigMap in deploy/kubernetes/prometheus.yaml)" check_k8s_config

# --- 2b. the sharded scrape: shard template (agent mode), central store, their manifests ---------
# render_shard TEMPLATE INDEX COUNT OUT: the template with its two placeholders filled.
render_shard() {
    local count
    count="$(grep -v '^ *#' "$1" | grep -c '__SHARD_INDEX__\|__SHARD_COUNT__')" || return 1
    # external label and keep regex (index), hashmod modulus (count): nothing else per shard.
    [[ "$count" == 3 ]] || { echo "$1: expected 3 placeholder lines, found $count"; return 1; }
    sed -e "s/__SHARD_INDEX__/$2/g" -e "s/__SHARD_COUNT__/$3/g" "$1" >"$4"
}

check_shard_config() {
    local dir="$tmp/prometheus-shard" shard
    mkdir -p "$dir/run" || return 1
    printf 'placeholder-token\n' >"$dir/run/fleet.token" || return 1
    cp "$tmp/placeholder-ca.pem" "$dir/run/fleet-ca.pem" || return 1
    printf '[{"targets": ["127.0.0.1:20000"], "labels": {"node": "sim-node-0"}}]\n' \
        >"$dir/run/fleet.json" || return 1
    for shard in 0/2 1/2 3/4; do
        render_shard "$repo/deploy/prometheus/shard.yml" "${shard%/*}" "${shard#*/}" \
            "$dir/shard-${shard%/*}.yml" || return 1
        # --agent: refuses what agent mode lacks (rules, alerting, storage settings).
        timeout 120 promtool check config --agent "$dir/shard-${shard%/*}.yml" || return 1
    done
    jobs "$dir/shard-0.yml" antrea-agents
}
run_check "promtool check config --agent deploy/prometheus/shard.yml (shards 0, 1 of 2; 3 of 4)" \
    check_shard_config

check_central_config() {
    local dir="$tmp/prometheus-central"
    mkdir -p "$dir/run" || return 1
    cp "$repo/deploy/prometheus/central.yml" "$repo/deploy/prometheus/antrea-alerts.yml" \
        "$repo/deploy/prometheus/sharding-alerts.yml" "$dir/" || return 1
    printf 'placeholder-token\n' >"$dir/run/fleet.token" || return 1
    cp "$tmp/placeholder-ca.pem" "$dir/run/fleet-ca.pem" || return 1
    printf '[{"targets": ["127.0.0.1:20100"], "labels": {"component": "antrea-controller"}}]\n' \
        >"$dir/run/fleet-controller.json" || return 1
    printf '[{"targets": ["127.0.0.1:19100"]}]\n' >"$dir/run/shards.json" || return 1
    jobs "$dir/central.yml" antrea-controllers prometheus-shards \
        && timeout 120 promtool check config "$dir/central.yml"
}
run_check "promtool check config deploy/prometheus/central.yml" check_central_config

# The manifests' shard template, rendered by its own init container script, and the central
# config; the queue settings and external labels are those of shard.yml (one explanation).
check_k8s_sharded() {
    local dir="$tmp/k8s-sharded" manifest="$repo/deploy/kubernetes/prometheus-sharded.yaml"
    mkdir -p "$dir/template" "$dir/config" || return 1
    k8s_config "$manifest" prometheus-shard-conf prometheus.yml.tmpl "$dir/template/prometheus.yml.tmpl" \
        || return 1
    timeout 120 "$py" - "$manifest" "$repo/deploy/prometheus/shard.yml" "$dir" <<'PY' || return 1
import subprocess, sys, yaml
manifest, shard_yml, out = sys.argv[1:4]
docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
sts = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "prometheus-shard")
init = sts["spec"]["template"]["spec"]["initContainers"][0]
shards = next(e["value"] for e in init["env"] if e["name"] == "SHARDS")
if int(shards) != sts["spec"]["replicas"]:
    sys.exit(f"SHARDS={shards} but replicas={sts['spec']['replicas']}")
script = init["args"][0].replace("/etc/prometheus/", out + "/")
def render(pod):
    env = {"POD_NAME": pod, "SHARDS": shards, "PATH": "/usr/bin:/bin"}
    return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
for ordinal in range(int(shards)):
    r = render(f"prometheus-shard-{ordinal}")
    if r.returncode != 0:
        sys.exit(f"init script failed for ordinal {ordinal}: {r.stderr}")
    cfg = yaml.safe_load(open(f"{out}/config/prometheus.yml"))
    # (Compared as text: the round trip through the promtool copy may unquote the number.)
    labels = {k: str(v) for k, v in cfg["global"]["external_labels"].items()}
    if labels != {"prometheus_shard": str(ordinal)}:
        sys.exit(f"ordinal {ordinal}: external labels {cfg['global']['external_labels']}")
    open(f"{out}/shard-{ordinal}.yml", "w").write(yaml.safe_dump(cfg))
for bad in (f"prometheus-shard-{shards}", "prometheus-shard"):
    if render(bad).returncode == 0:
        sys.exit(f"the init script accepted Pod {bad} with SHARDS={shards}")
local = yaml.safe_load(open(shard_yml))
cluster = yaml.safe_load(open(f"{out}/shard-0.yml"))
for what in ("queue_config", "metadata_config"):
    if local["remote_write"][0][what] != cluster["remote_write"][0][what]:
        sys.exit(f"remote_write {what} differs from deploy/prometheus/shard.yml")
print(f"{shards} shards rendered by the init container's script")
PY
    local ordinal=0
    while [[ -f "$dir/shard-$ordinal.yml" ]]; do
        jobs "$dir/shard-$ordinal.yml" antrea-agents || return 1
        timeout 120 promtool check config --agent "$dir/shard-$ordinal.yml" || return 1
        ordinal=$((ordinal + 1))
    done
    k8s_config "$manifest" prometheus-central-conf prometheus.yml "$dir/central/prometheus.yml" \
        && jobs "$dir/central/prometheus.yml" antrea-controllers prometheus-shards \
        && timeout 120 promtool check config "$dir/central/prometheus.yml"
}
run_check "promtool check config (shard template and central ConfigMaps in deploy/kubernetes/prometheus-sharded.yaml)" \
    check_k8s_sharded

# --- 3, 4. rules and their unit tests ---------------------------------------------------------
run_check "promtool check rules deploy/prometheus/antrea-alerts.yml" \
    promtool check rules "$repo/deploy/prometheus/antrea-alerts.yml"
run_check "promtool test rules deploy/prometheus/antrea-alerts.test.yml" \
    promtool test rules "$repo/deploy/prometheus/antrea-alerts.test.yml"
run_check "promtool check rules deploy/prometheus/sharding-alerts.yml" \
    promtool check rules "$repo/deploy/prometheus/sharding-alerts.yml"
run_check "promtool test rules deploy/prometheus/sharding-alerts.test.yml" \
    promtool test rules "$repo/deploy/prometheus/sharding-alerts.test.yml"

# --- 5. the Grafana dashboard ---------------------------------------------------------------------
check_dashboard() {
    local status=0
    timeout 120 "$py" - "$repo/deploy/grafana/antrea-dashboard.json" "$spec" "$repo/deploy/grafana/README.md" \
        "$tmp/dashboard-exprs.yml" <<'PY' || status=1
import json, re, sys, yaml
dash_path, spec_path, readme_path, rules_out = sys.argv[1:5]
errors = []
try:
    dash = json.load(open(dash_path))
except json.JSONDecodeError as e:
    sys.exit(f"{dash_path}: invalid JSON: {e}")
spec = json.load(open(spec_path))
readme = open(readme_path).read()

if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
    errors.append(f"schemaVersion {dash.get('schemaVersion')!r} is older than Grafana 9/10's (>= 36)")
variables = [v for v in dash.get("templating", {}).get("list", []) if v.get("name") == "datasource"]
if not (len(variables) == 1 and variables[0].get("type") == "datasource"
        and variables[0].get("query") == "prometheus"):
    errors.append("templating needs one variable 'datasource' of type datasource, query prometheus")

row_for_component = {"agent": "Agent", "proxy": "Antrea Proxy", "controller": "Controller"}
families = {m["name"]: m for m in spec["metrics"]}
# Older names that the dashboard may query as well (the spec's v1_11 overrides).
aliases = {m["v1_11"]["name"]: m["name"] for m in spec["metrics"]
           if "name" in m.get("v1_11", {})}

row = None
rows_seen, ids, family_rows = set(), set(), {}
exprs = []
last_y = 0
for panel in dash.get("panels", []):
    pid = panel.get("id")
    # Rows own the panels that follow them on screen: keep the list in screen order.
    y = panel.get("gridPos", {}).get("y", -1)
    if y < last_y:
        errors.append(f"panel {panel.get('title')!r}: gridPos.y {y} is above the panel before it")
    last_y = max(last_y, y)
    if pid in ids:
        errors.append(f"duplicate panel id {pid}")
    ids.add(pid)
    if panel.get("type") == "row":
        row = panel.get("title")
        rows_seen.add(row)
        if panel.get("collapsed"):
            errors.append(f"row {row!r} is collapsed: keep panels at the top level")
        continue
    title = panel.get("title") or f"panel {pid}"
    where = f"panel {title!r}"
    if panel.get("datasource", {}).get("uid") != "${datasource}":
        errors.append(f"{where}: datasource uid is not ${{datasource}}")
    if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
        errors.append(f"{where}: no unit")
    if not re.search(rf"^#+ {re.escape(title)}[ \t]*$", readme, re.M):
        errors.append(f"{where}: no heading '### {title}' in deploy/grafana/README.md")
    targets = panel.get("targets") or []
    if not targets:
        errors.append(f"{where}: no targets")
    for t in targets:
        if t.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"{where} target {t.get('refId')}: datasource uid is not ${{datasource}}")
        if not t.get("legendFormat"):
            errors.append(f"{where} target {t.get('refId')}: no legendFormat")
        expr = t.get("expr", "")
        if not expr.strip():
            errors.append(f"{where} target {t.get('refId')}: empty expr")
            continue
        exprs.append(expr)
        for name in set(re.findall(r"\bantrea_[a-z0-9_]+", expr)):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            fam = next((f for f in (name, base) if f in families), None) \
                or aliases.get(name) or aliases.get(base)
            if fam is None:
                errors.append(f"{where}: unknown metric {name!r}")
                continue
            if base != name and name not in families and families[fam]["type"] != "histogram":
                errors.append(f"{where}: {name!r} but {fam} is not a histogram")
            family_rows.setdefault(fam, set()).add(row)

for want in row_for_component.values():
    if want not in rows_seen:
        errors.append(f"no row titled {want!r}")
for name, m in families.items():
    if name not in family_rows:
        errors.append(f"metric family {name} has no panel")
    elif row_for_component[m["component"]] not in family_rows[name]:
        errors.append(f"metric family {name} is not in row {row_for_component[m['component']]!r}")

# Every expression becomes a recording rule, so that promtool checks that it parses.
rules = [{"record": f"dashboard:expr_{i}:check", "expr": e} for i, e in enumerate(exprs)]
yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": rules}]}, open(rules_out, "w"))

for e in errors:
    print(f"{dash_path}: {e}")
print(f"{len(families)} metric families, {len(exprs)} expressions checked")
sys.exit(1 if errors else 0)
PY
    # The expressions are checked even when the structure is not right, to see all problems.
    [[ -s "$tmp/dashboard-exprs.yml" ]] || return 1
    timeout 120 promtool check rules "$tmp/dashboard-exprs.yml" || status=1
    return "$status"
}
run_check "Grafana dashboard deploy/grafana/antrea-dashboard.json" check_dashboard

# --- 5b. native-histogram variants --------------------------------------------------------------
check_native_config() {
    local dir="$tmp/prometheus-native"
    mkdir -p "$dir/run" || return 1
    cp "$repo/deploy/prometheus/prometheus-native.yml" "$dir/" || return 1
    printf 'placeholder-token\n' >"$dir/run/agent.token" || return 1
    cp "$tmp/placeholder-ca.pem" "$dir/run/agent-ca.pem" || return 1
    timeout 120 promtool check config "$dir/prometheus-native.yml"
}
run_check "promtool check config deploy/prometheus/prometheus-native.yml" check_native_config

check_native_dashboard() {
    timeout 120 "$py" - "$repo/deploy/grafana/antrea-dashboard-native.json" "$spec" \
        "$tmp/native-exprs.yml" <<'PY' || return 1
import json, re, sys, yaml
dashboard, spec, rules_out = sys.argv[1:4]
d = json.load(open(dashboard))
histograms = {m["name"] for m in json.load(open(spec))["metrics"] if m["type"] == "histogram"}
exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
if not exprs:
    sys.exit("no queries in the native dashboard")
for e in exprs:
    names = set(re.findall(r"\b(antrea_[a-z_]+)\b", e))
    # A family name itself, never its classic `_bucket`/`_count`/`_sum` series.
    if not names or not names <= histograms:
        sys.exit(f"{e!r}: only native histogram families may be queried, not {sorted(names - histograms)}")
rules = [{"record": f"native:expr_{i}:check", "expr": e} for i, e in enumerate(exprs)]
yaml.safe_dump({"groups": [{"name": "native-exprs", "rules": rules}]}, open(rules_out, "w"))
PY
    timeout 120 promtool check rules "$tmp/native-exprs.yml"
}
run_check "Grafana dashboard deploy/grafana/antrea-dashboard-native.json" check_native_dashboard

# --- 6. Kubernetes manifests --------------------------------------------------------------------
shopt -s nullglob
manifests=("$repo"/deploy/kubernetes/*.yaml "$repo"/deploy/kubernetes/*.yml)
shopt -u nullglob
if ((${#manifests[@]} == 0)); then
    failed=$((failed + 1)); failures+=("no manifests in deploy/kubernetes")
    printf 'check-deploy: FAIL no manifests in deploy/kubernetes\n'
fi
for manifest in "${manifests[@]}"; do
    run_check "kubernetes-validate --strict -k ${k8s_version} ${manifest#"$repo"/}" \
        "$venv/bin/kubernetes-validate" --strict --quiet -k "$k8s_version" "$manifest"
done

# --- 7. the project's shell scripts --------------------------------------------------------------
mapfile -t scripts < <(cd "$repo" && ls scripts/*.sh .ci/run benches/*.sh)
run_check "shellcheck ${scripts[*]}" shellcheck "${scripts[@]/#/$repo/}"

# --- summary --------------------------------------------------------------------------------------
if ((failed > 0)); then
    printf 'check-deploy: failed checks:\n'
    printf '  - %s\n' "${failures[@]}"
fi
printf 'check-deploy: %d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
