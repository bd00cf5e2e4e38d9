#!/bin/bash
# Runs inside the clean Debian 12 root (no systemd, no network but loopback):
#   inside.sh BASE_VERSION NEWER_VERSION ARCH
set -euo pipefail
BASE=$1
NEWER=$2
BASE_DEB=/ci/sitespeak_${BASE}_$3.deb
NEWER_DEB=/ci/sitespeak_${NEWER}_$3.deb
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin
PY=/usr/bin/python3.11
step() { echo; echo "-- inside: $*"; }
fail() { echo "inside: FAIL: $*" >&2; exit 1; }
has_command() { /usr/lib/sitespeak/bin/python -I -m sitespeak "$1" --help >/dev/null 2>&1; }
psql_pg() { runuser -u postgres -- psql -XtAq "$@"; }

# The installed build's long-running units (a base version may predate the speech process).
unit_names() {
    for name in speech web worker; do
        [ -f /lib/systemd/system/sitespeak-$name.service ] && echo "$name"
    done
}

start_units() {
    for name in $(unit_names); do
        $PY /ci/run_unit.py /lib/systemd/system/sitespeak-$name.service \
            > /var/tmp/ci-$name.log 2>&1 &
        echo $! > /var/tmp/ci-$name.pid
    done
    if ! $PY /ci/wait_ready.py http://127.0.0.1:5000/health/ready 180; then
        tail -40 /var/tmp/ci-*.log
        fail "web never became ready"
    fi
}

# What systemd does on stop: SIGTERM, then wait (TimeoutStopSec) for a clean exit.
stop_units() {
    for name in $(unit_names); do
        pid=$(cat /var/tmp/ci-$name.pid)
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then fail "$name did not stop within 30 s of SIGTERM"; fi
        wait "$pid" || fail "$name exited $? on SIGTERM (want 0): $(tail -5 /var/tmp/ci-$name.log)"
    done
}

start_services() {
    pg_ctlcluster 15 main start
    runuser -u redis -- redis-server /etc/redis/redis.conf --daemonize yes --supervised no \
        --pidfile /var/tmp/redis.pid --logfile /var/tmp/redis.log
}

step "install sitespeak $BASE (PostgreSQL and Redis are not running yet)"
apt-get -q install -y --no-install-recommends "$BASE_DEB" 2>&1 | tee /var/tmp/install.log
grep -q "then run: sudo dpkg-reconfigure sitespeak" /var/tmp/install.log \
    || fail "postinst did not say how to finish without PostgreSQL"
[ "$(stat -c '%a %U:%G' /etc/sitespeak/secrets.env)" = "640 root:sitespeak" ] \
    || fail "secrets.env is $(stat -c '%a %U:%G' /etc/sitespeak/secrets.env)"
secret=$(cat /etc/sitespeak/secrets.env)

step "start PostgreSQL and Redis, rerun the configuration (idempotent: twice)"
start_services
dpkg-reconfigure sitespeak 2>&1 | tee /var/tmp/reconfigure.log
grep -q "systemd is not running here" /var/tmp/reconfigure.log || fail "no systemd message"
# Enabled even without a running systemd: the next boot starts the target.
for link in multi-user.target.wants/sitespeak.target sitespeak.target.wants/sitespeak-web.service \
        sitespeak.target.wants/sitespeak-worker.service sitespeak.target.wants/sitespeak-speech.service; do
    [ -L "/etc/systemd/system/$link" ] || fail "not enabled: /etc/systemd/system/$link missing"
done
if has_command createadmin; then
    grep -q "/setup/\|http" /var/tmp/reconfigure.log || fail "no admin setup link printed"
else
    echo "inside: NOTE: no createadmin command in this build: admin link not checked"
fi
dpkg-reconfigure sitespeak > /var/tmp/reconfigure2.log 2>&1 || fail "second run: $(cat /var/tmp/reconfigure2.log)"
[ "$(cat /etc/sitespeak/secrets.env)" = "$secret" ] || fail "reconfigure replaced the secrets"
sitespeak check

step "start the units' ExecStart lines as the sitespeak user; /health/ready"
start_units
for name in $(unit_names); do
    owner=$(stat -c %U "/proc/$(cat /var/tmp/ci-$name.pid)")
    [ "$owner" = sitespeak ] || fail "$name runs as $owner, not sitespeak"
done

step "crawl a loopback site and run a text turn"
$PY -m http.server 8088 --bind 127.0.0.1 --directory /ci/site > /var/tmp/site.log 2>&1 &
SITE_PID=$!
sitespeak tenant create "Upgrade Survivor"
ASKED=no
if has_command crawl && has_command ask && has_command site; then
    sitespeak site create --tenant "Upgrade Survivor" --name bistro \
        --url http://127.0.0.1:8088/ --allow-private
    sitespeak crawl bistro --tenant "Upgrade Survivor"
    sitespeak ask bistro "Are you open on Mondays?" --tenant "Upgrade Survivor" --json \
        | tee /var/tmp/ask1.json
    grep -qi "monday" /var/tmp/ask1.json || fail "the answer does not use the crawled page"
    ASKED=yes
else
    echo "inside: NOTE: crawl/ask/site commands absent in this build: skipped"
fi

step "upgrade to $NEWER (stop units as prerm would, install, check data, restart)"
before=$(psql_pg -d sitespeak -c "SELECT max(version) FROM schema_migrations")
stop_units
apt-get -q install -y --no-install-recommends "$NEWER_DEB" 2>&1 | tee /var/tmp/upgrade.log
backups=(/var/lib/sitespeak/backups/pre-upgrade-from-"$BASE"-*.tar.gz)
[ ${#backups[@]} = 1 ] && [ -f "${backups[0]}" ] || fail "want one pre-upgrade backup: ${backups[*]}"
tar -xOzf "${backups[0]}" manifest.json | grep -q "\"schema_version\": $before," \
    || fail "the pre-upgrade backup is not of schema $before"
version=$(psql_pg -d sitespeak -c "SELECT max(version) FROM schema_migrations")
[ "$version" = 9000 ] || fail "schema at $version after upgrade, want 9000"
[ "$(psql_pg -d sitespeak -c "SELECT count(*) FROM tenants WHERE name = 'Upgrade Survivor'")" = 1 ] \
    || fail "the tenant made before the upgrade is gone"
psql_pg -d sitespeak -c "SELECT note FROM upgrade_probe"
start_units
if [ "$ASKED" = yes ]; then
    sitespeak ask bistro "Are you open on Mondays?" --tenant "Upgrade Survivor" --json \
        | tee /var/tmp/ask2.json
    grep -qi "monday" /var/tmp/ask2.json || fail "after the upgrade the site's knowledge is gone"
fi

step "backup and restore on the installed box"
sitespeak backup --output /var/lib/sitespeak/backups/ci.tar.gz
sitespeak tenant create "Made after the backup"
stop_units
sitespeak restore /var/lib/sitespeak/backups/ci.tar.gz
[ "$(psql_pg -d sitespeak -c "SELECT count(*) FROM tenants WHERE name = 'Made after the backup'")" = 0 ] \
    || fail "restore kept a row made after the backup"

step "purge: nothing of ours remains"
kill "$SITE_PID" || true
apt-get -q purge -y sitespeak
left=$(find / -xdev \( -path /ci -o -path /proc -o -path /var/tmp \) -prune -o \
    -name '*sitespeak*' -print)
[ -z "$left" ] || fail "left behind: $left"
! getent passwd sitespeak >/dev/null || fail "user sitespeak left behind"
! getent group sitespeak >/dev/null || fail "group sitespeak left behind"
[ -z "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = 'sitespeak'")" ] || fail "database left"
[ -z "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = 'sitespeak'")" ] || fail "role left"

pg_ctlcluster 15 main stop
kill "$(cat /var/tmp/redis.pid)" || true
echo
echo "inside: all checks passed"
