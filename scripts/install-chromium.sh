#!/bin/sh
# Installs Debian's Chromium when it is missing: the console's browser test drives it with
# puppeteer-core, which never downloads a browser of its own. Runs as root or through sudo.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
