#!/usr/bin/env bash
# After the Rust tests: the logs every test binary captured (crates/server/tests/it/support::capture_logs) must not
# contain any secret the run used: the sandbox companies' Megaport client secrets, which every
# test's onramp logs in with, the canary caller token and Megaport secret of the auth tests, and
# the secrets tests made and left in *.canary files.
set -euo pipefail
dir="${CARGO_TARGET_DIR:-target}/tmp/test-logs"
canaries=(
  quantumgpu-sandbox-secret acme-sandbox-secret globex-sandbox-secret initech-sandbox-secret
  canary-caller-token-5e1f0c9a77 canary-megaport-secret-b41d2e
)
shopt -s nullglob
# Secrets made during the run (a webhook endpoint's signing secret): the tests that made them
# wrote them here, one per file.
for file in "$dir"/*.canary; do
  canaries+=("$(cat "$file")")
done
logs=("$dir"/*.log)
lines=$(cat "${logs[@]}" /dev/null | wc -l)
if (( ${#logs[@]} == 0 || lines < 1000 )); then
  echo "log canaries: only ${#logs[@]} log files / $lines lines in $dir; was anything captured?" >&2
  exit 1
fi
for canary in "${canaries[@]}"; do
  if grep -rlF -- "$canary" "${logs[@]}" >/dev/null; then
    echo "log canaries: a secret was logged (found in: $(grep -rlF -- "$canary" "${logs[@]}" | head -3))" >&2
    exit 1
  fi
done
echo "log canaries: ${#canaries[@]} secrets absent from $lines lines in ${#logs[@]} log files"
