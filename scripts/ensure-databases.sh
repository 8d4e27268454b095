#!/usr/bin/env bash
# Make the PostgreSQL and MariaDB servers the engine tests use reachable on loopback (tests/deploy/conftest.py):
# PostgreSQL on 127.0.0.1:5432 as user postgres without password, MariaDB on 127.0.0.1:3306 as root without
# password. Idempotent, and fast when both already answer. As root it installs (apt) and starts what is missing;
# otherwise it only says so, and the engine tests skip with the reason shown. It never fails the test run.
set -uo pipefail

pg_up() { python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(s.connect_ex(("127.0.0.1", 5432)))
PY
}
mysql_up() { python3 - <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(s.connect_ex(("127.0.0.1", 3306)))
PY
}
wait_up() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }
say() { echo "ensure-databases: $*" >&2; }

if pg_up && mysql_up; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "PostgreSQL/MariaDB not running and not root with apt: the real-engine tests will be skipped"
    exit 0
fi

if ! pg_up; then
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        say "installing PostgreSQL"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
            || say "apt-get install postgresql failed"
    fi
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        [ -f "$hba" ] || continue
        # Tests only: trust loopback for the postgres user (the server listens on loopback only by default).
        grep -q "wechat-admin tests" "$hba" || sed -i '1i host all postgres 127.0.0.1/32 trust # wechat-admin tests' "$hba"
    done
    (command -v pg_ctlcluster >/dev/null && pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -1)" main start) \
        || service postgresql start >/dev/null 2>&1 || true
    wait_up pg_up && say "PostgreSQL is up" || say "PostgreSQL did not start: its tests will be skipped"
fi

if ! mysql_up; then
    if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null; then
        say "installing MariaDB"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null) \
            || say "apt-get install mariadb-server failed"
    fi
    service mariadb start >/dev/null 2>&1 || service mysql start >/dev/null 2>&1 || true
    if wait_up mysql_up; then
        # Tests only: root over TCP from loopback without a password (the socket login as root stays as it was).
        mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')" \
            2>/dev/null || true
        say "MariaDB is up"
    else
        say "MariaDB did not start: its tests will be skipped"
    fi
fi
exit 0
