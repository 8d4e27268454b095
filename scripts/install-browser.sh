#!/usr/bin/env bash
# The browser tests drive the system Chromium (Debian's `chromium` package) through Playwright for Python.
# Playwright's own browser downloads are not used: its Python package talks to any recent Chromium binary.
# Installs only when /usr/bin/chromium is missing; needs root (apt-get), as `make run`'s other installers do.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: $CHROMIUM is missing; run as root (apt-get install chromium) or the browser tests skip" >&2
    exit 0
fi
echo "install-browser: installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk fonts-noto-color-emoji
