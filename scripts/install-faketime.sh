#!/bin/sh
# Installs Debian's faketime package (libfaketime) when it is missing: the replica test that
# runs one replica with its clock a minute ahead preloads it into that replica alone. Runs as
# root or through sudo.
set -eu
if ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends faketime
