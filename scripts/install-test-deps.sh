#!/usr/bin/env bash
# Install what the deploy checks and the end-to-end test need, on Debian 12, as root.
#
#   - Debian's `prometheus` package (brings /usr/bin/prometheus and /usr/bin/promtool). The
#     package's own service is NOT used: tests start their own prometheus on 127.0.0.1 with a
#     temporary storage directory. When this script installs the package, it keeps the
#     package from starting its service (policy-rc.d) and, on a host running systemd, disables it.
#   - curl, openssl, python3 with venv, and shellcheck (scripts/check-deploy.sh lints the scripts with it).
#   - the PyPI packages kubernetes-validate and prometheus_client (whose OpenMetrics parser
#     checks our OpenMetrics exposition), in a virtualenv (default: target/test-venv).
#
# Idempotent and non-interactive: `apt-get update` runs only when a Debian package is missing,
# and the virtualenv is only (re)built when its kubernetes-validate is missing or not the pinned
# version. Running it a second time is a fast no-op.
#
# Environment:
#   TEST_VENV   where to put the virtualenv (default: <repo>/target/test-venv)
set -euo pipefail

KUBERNETES_VALIDATE_VERSION="1.37.0"
PROMETHEUS_CLIENT_VERSION="0.21.1"
APT_PACKAGES=(prometheus curl openssl ca-certificates python3 python3-venv shellcheck)

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TEST_VENV:-${repo_root}/target/test-venv}"

log() { printf 'install-test-deps: %s\n' "$*"; }
die() { printf 'install-test-deps: ERROR: %s\n' "$*" >&2; exit 1; }

[[ "$(id -u)" -eq 0 ]] || die "run me as root (apt-get install is needed)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian 12"
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script is for Debian 12"

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# ---------------------------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

prometheus_was_installed=true
is_installed prometheus || prometheus_was_installed=false

if ((${#missing[@]} > 0)); then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive

    # Keep maintainer scripts from starting services (Debian's prometheus package would start
    # its own server on :9090). policy-rc.d exit code 101 means "action forbidden". Only put
    # ours in place when none exists, and remove it again afterwards.
    policy=/usr/sbin/policy-rc.d
    own_policy=false
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# temporary, from install-test-deps.sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        own_policy=true
        trap 'rm -f "$policy"' EXIT
    fi

    timeout 600 apt-get update -qq
    timeout 1200 apt-get install -y -qq --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}"

    if [[ "$own_policy" == true ]]; then
        rm -f "$policy"
        trap - EXIT
    fi
else
    log "Debian packages already installed: ${APT_PACKAGES[*]}"
fi

# If we installed prometheus just now on a host that runs systemd, make sure the package's
# service is stopped and does not come back at boot. A prometheus that was already installed
# before this script ran is left alone: it is the administrator's.
if [[ "$prometheus_was_installed" == false ]] && [[ -d /run/systemd/system ]]; then
    log "disabling the Debian prometheus.service (tests run their own prometheus)"
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi

command -v prometheus >/dev/null 2>&1 || die "prometheus is not on PATH after installing"
command -v promtool >/dev/null 2>&1 || die "promtool is not on PATH after installing"

# ---------------------------------------------------------------------------------------------
# kubernetes-validate in a virtualenv
# ---------------------------------------------------------------------------------------------
# Debian's python3 (not a pyenv shim or the like), so that the venv is the same everywhere.
system_python=/usr/bin/python3
[[ -x "$system_python" ]] || die "$system_python missing after installing python3"

venv_ok() {
    [[ -x "$venv/bin/kubernetes-validate" ]] || return 1
    local have
    have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null)" || return 1
    [[ "$have" == "$KUBERNETES_VALIDATE_VERSION" ]] || return 1
    have="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("prometheus_client"))' 2>/dev/null)" || return 1
    [[ "$have" == "$PROMETHEUS_CLIENT_VERSION" ]]
}

if venv_ok; then
    log "kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} and prometheus_client ${PROMETHEUS_CLIENT_VERSION} already in $venv"
else
    log "creating virtualenv $venv with kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} and prometheus_client==${PROMETHEUS_CLIENT_VERSION}"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$system_python" -m venv "$venv"
    timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}" \
        "prometheus_client==${PROMETHEUS_CLIENT_VERSION}"
    venv_ok || die "kubernetes-validate or prometheus_client did not install into $venv"
fi

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
prom_version="$(prometheus --version 2>&1 | head -n 1)"
log "prometheus:          $(command -v prometheus)  (${prom_version})"
log "promtool:            $(command -v promtool)"
log "curl:                $(command -v curl)"
log "openssl:             $(command -v openssl)"
log "kubernetes-validate: $venv/bin/kubernetes-validate"
log "prometheus_client:   $venv/bin/python (prometheus_client ${PROMETHEUS_CLIENT_VERSION})"
log "done"
