#!/usr/bin/env bash
# The embedded Redis of `make run` and the tests' own Redis servers are the distribution's maintained redis-server
# (Debian's package gets security fixes), found on PATH. Installs it only when it is missing; needs root (apt-get),
# as the project's other installers do. The package's own system service is not wanted (libs/embedded_redis.py
# starts a private server per instance folder), so when this script installed the package it stops and disables
# that service again; a redis-server that was already installed is left exactly as it was.
set -euo pipefail

if command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "install-redis: redis-server is missing; install it as root (apt-get install redis-server) or set REDIS_URL" >&2
    exit 1
fi
echo "install-redis: installing Debian's redis-server"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends redis-server
if [ -d /run/systemd/system ]; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
else
    service redis-server stop >/dev/null 2>&1 || true
fi
