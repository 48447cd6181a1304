#!/bin/sh
# Installs Debian's postgresql package when its server binaries are missing: the PostgreSQL store
# tests start throwaway clusters of their own (initdb, pg_ctl on a socket in a temp dir), as the
# package's unprivileged `postgres` user when run as root. Runs as root or through sudo.
set -eu
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql
# The package's own cluster and service are not wanted: tests start their own.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now postgresql >/dev/null 2>&1 || true; fi
