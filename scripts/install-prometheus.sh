#!/bin/sh
# Installs Debian's prometheus package (prometheus and promtool) when either is missing: the
# metrics integration test scrapes onramp with a real Prometheus, and promtool checks the alert
# rules and a scrape. Runs as root or through sudo.
set -eu
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus
# The package's service is not wanted: tests start their own Prometheus on a free port.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true; fi
