#!/usr/bin/env python3
"""Writes deploy/kubernetes/base/prometheusrule.yaml from deploy/prometheus/onramp-alerts.yml.

The alert rules have one source, the Prometheus rule file that `make test` checks with promtool
and runs against a real Prometheus. The PrometheusRule (prometheus-operator) carries the same
groups under `spec:`. The file's text is indented rather than parsed and dumped, so the rules'
comments (why each threshold) reach the cluster copy too.

    scripts/generate-prometheusrule.py           # rewrite the PrometheusRule
    scripts/generate-prometheusrule.py --check   # fail if the committed one differs
"""

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "deploy/prometheus/onramp-alerts.yml"
TARGET = ROOT / "deploy/kubernetes/base/prometheusrule.yaml"

HEADER = """\
# GENERATED from deploy/prometheus/onramp-alerts.yml by scripts/generate-prometheusrule.py
# (make prometheusrule). Edit the source, not this file; make deploy-check fails when they differ.
#
# Your Prometheus may select rules by a label (its ruleSelector, e.g. `release: ...`): add that
# label in an overlay.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: onramp
  labels:
    app.kubernetes.io/name: onramp
spec:
"""


def render(source: str) -> str:
    lines = source.splitlines()
    # The source's own header comment describes that file (how promtool loads it), not this one.
    start = next(i for i, line in enumerate(lines) if line.startswith("groups:"))
    body = ["  " + line if line.strip() else "" for line in lines[start:]]
    return HEADER + "\n".join(body) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    wanted = render(SOURCE.read_text())
    if not args.check:
        TARGET.write_text(wanted)
        return 0
    committed = TARGET.read_text() if TARGET.exists() else ""
    if committed == wanted:
        print(f"{TARGET.relative_to(ROOT)} matches {SOURCE.relative_to(ROOT)}")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            str(TARGET.relative_to(ROOT)),
            "generated",
        )
    )
    print(
        f"{TARGET.relative_to(ROOT)} is out of date with {SOURCE.relative_to(ROOT)}: "
        "run `make prometheusrule` and commit it",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
