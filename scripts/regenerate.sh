#!/usr/bin/env bash
# Regenerates every file that the tests compare with the catalogue, in one go:
#
#   - docs/metrics.md, generated from the catalogue (`metrics-reference` example);
#   - the reference copies in tests/data/ -- Antrea's facts (antrea-metrics.json,
#     ovs-pipeline.json, antrea-node-ipam-metrics.json) and what Antrea's Go client prints at
#     startup (golden/*.prom) -- copied from the reference facts folder. These are never
#     generated from our own code: they are what the catalogue is tested against.
#
#   scripts/regenerate.sh [FACTS_DIR]
#
# FACTS_DIR holds the reference files with the same names (default: $ANTREA_FACTS, else
# /work/shared/spec when it exists). Without one, only docs/metrics.md is regenerated.
# Prints what changed (git status) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

facts="${1:-${ANTREA_FACTS:-}}"
if [ -z "$facts" ] && [ -d /work/shared/spec ]; then
  facts=/work/shared/spec
fi

echo "regenerate: docs/metrics.md from the catalogue"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
cargo run --quiet --example metrics-reference >"$out"
mv "$out" docs/metrics.md
trap - EXIT

if [ -n "$facts" ]; then
  echo "regenerate: tests/data/ from the reference facts in $facts"
  for file in antrea-metrics.json ovs-pipeline.json antrea-node-ipam-metrics.json \
    golden/agent-latest.prom golden/agent-v1.11.prom \
    golden/controller-latest.prom golden/controller-v1.11.prom; do
    if [ ! -f "$facts/$file" ]; then
      echo "regenerate: $facts/$file is missing: give the folder that holds the reference facts" >&2
      exit 2
    fi
    cp "$facts/$file" "tests/data/$file"
  done
else
  echo "regenerate: no reference facts folder (give one, or set ANTREA_FACTS): tests/data/ left as it is"
fi

echo "regenerate: changed files:"
git status --short -- docs/metrics.md tests/data
