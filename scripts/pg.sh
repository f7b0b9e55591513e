#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (ctest's pg_start / pg_stop
# fixture): initdb into DIR, trust auth on loopback only, a free port.
# Usage: pg.sh start DIR   prints the base URL (also written to DIR/url)
#        pg.sh stop DIR    stops the server and removes DIR
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: pg.sh start|stop DIR"
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
data=$dir/data
PGUSER_NAME=stepd        # the database superuser named in the URL

# Debian keeps the server binaries off PATH, under one folder per version
bindir=""
if command -v pg_config >/dev/null 2>&1; then
    bindir=$(pg_config --bindir)
fi
if [ ! -x "$bindir/initdb" ]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
fi
[ -x "$bindir/initdb" ] || die "no PostgreSQL server binaries (initdb) found: install the postgresql package (scripts/deps.sh)"

# PostgreSQL refuses to run as root: as root, run it as a system user
as_owner=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    owner=stepd-pg
    if ! id "$owner" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$owner" \
            2>/dev/null || owner=nobody
    fi
    as_owner=(runuser -u "$owner" --)
fi
run() { "${as_owner[@]}" "$@"; }

conf_port() { sed -nE "s/^port = ([0-9]+).*/\1/p" "$data/postgresql.conf" | tail -n1; }

ready() { # port
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$1" -U "$PGUSER_NAME" -d postgres
}

running() { # the postmaster of $data is alive (a zombie is not: a killed
             # server whose parent has not reaped it yet)
    local pid
    pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/status" ] &&
        ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"
}

port_in_use() { # bash's /dev/tcp: a connect that succeeds means a listener
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

init_cluster() {
    run test -x "$dir" || die "$dir is not reachable by user $owner (a parent folder is not world-searchable)"
    rm -rf "$data"
    mkdir -p "$data" "$dir/log"
    chown "$owner" "$dir" "$data" "$dir/log"
    chmod 700 "$data"
    run "$bindir/initdb" -D "$data" -U "$PGUSER_NAME" --auth=trust \
        -E UTF8 --locale=C.UTF-8 >"$dir/log/initdb.log" 2>&1 \
        || die "initdb failed, see $dir/log/initdb.log"
    # loopback only: no other host may connect, and nothing needs a password
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" \
        >"$data/pg_hba.conf"
    cat >>"$data/postgresql.conf" <<EOF
# pg.sh: test server
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 300
logging_collector = off
EOF
}

# Polls until the server on port accepts connections (0), or its postmaster
# has gone (1), or 30 s passed (2).  The postmaster writes its lock file a
# moment after pg_ctl returns: the first second does not count as gone.
wait_ready() {
    local waited
    for waited in $(seq 1 300); do
        ready "$1" && return 0
        [ "$waited" -gt 10 ] && ! running && return 1
        sleep 0.1
    done
    return 2
}

# Starts on a free port (a port taken between the probe and the bind makes
# the postmaster exit: then another one); waits until it accepts
# connections.
start_server() {
    local port tries
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_in_use "$port" && continue
        sed -i -E '/^port = /d' "$data/postgresql.conf"
        echo "port = $port" >>"$data/postgresql.conf"
        run "$bindir/pg_ctl" start -W -D "$data" -l "$dir/log/postgres.log" 9>&- \
            >/dev/null || die "pg_ctl start failed, see $dir/log/postgres.log"
        wait_ready "$port" && return 0
        running && die "server on port $port not ready after 30 s, see $dir/log/postgres.log"
        echo "pg.sh: server did not start on port $port (try $tries), retrying" >&2
    done
    die "could not start PostgreSQL, see $dir/log/postgres.log"
}

do_start() {
    if running && [ -f "$dir/url" ] && ready "$(conf_port)"; then
        cat "$dir/url"
        return 0
    fi
    # a cluster left by a run that died is started again; anything else
    # (nothing, or a half-made folder) is made afresh
    if [ ! -f "$data/PG_VERSION" ] || ! grep -q '^# pg.sh: test server' \
            "$data/postgresql.conf" 2>/dev/null; then
        init_cluster
    fi
    if running; then # still starting up, say
        wait_ready "$(conf_port)" ||
            die "the server in $data runs but does not accept connections, see $dir/log/postgres.log"
    else
        # a postmaster that died leaves its lock file; its pid may still
        # exist as a zombie, which would make the new one refuse to start
        rm -f "$data/postmaster.pid"
        start_server
    fi
    local url="postgres://$PGUSER_NAME@127.0.0.1:$(conf_port)/postgres"
    echo "$url" >"$dir/url.tmp" && mv "$dir/url.tmp" "$dir/url"
    echo "$url"
}

do_stop() {
    if running; then
        if ! run "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null 2>&1 \
                && running; then
            die "pg_ctl stop failed, see $dir/log/postgres.log"
        fi
    fi
    rm -rf "$dir"
}

# one start/stop at a time per folder (the lock file sits beside it)
exec 9>"$dir.lock"
flock 9
case $cmd in
    start) do_start ;;
    stop) do_stop; rm -f "$dir.lock" ;;
    *) die "usage: pg.sh start|stop DIR" ;;
esac
