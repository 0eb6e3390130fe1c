# Store tests on PostgreSQL: Debian's PostgreSQL 15, started on a private data directory and port (never the
# system's default cluster) and stopped after. Sourced by scripts/test.sh; see README.md beside this file.
#
# Exports NIMBUS_TEST_POSTGRES_URL (a superuser URL; each test makes a database of its own) and
# NIMBUS_TEST_POSTGRES_BIN (the server's programs, for tests that start a cluster of their own).

nimbus_postgres_port="${NIMBUS_TEST_POSTGRES_PORT:-55432}"

nimbus_postgres_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

nimbus_test_setup_postgres() {
    if ! nimbus_postgres_bin > /dev/null; then
        nimbus_install_apt postgresql
    fi
    local bin
    bin="$(nimbus_postgres_bin)" || { echo "PostgreSQL's initdb not found after installing postgresql" >&2; return 1; }
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres user Debian's package makes.
    local runner=()
    if [ "$(id -u)" = 0 ]; then
        id postgres > /dev/null 2>&1 || useradd --system --no-create-home postgres
        runner=(runuser -u postgres --)
    fi
    nimbus_postgres_dir="$(mktemp -d /tmp/nimbus-postgres.XXXXXX)"
    chmod 755 "$nimbus_postgres_dir"
    [ "$(id -u)" = 0 ] && chown postgres "$nimbus_postgres_dir"
    "${runner[@]}" "$bin/initdb" -D "$nimbus_postgres_dir/data" -U postgres --auth=trust -E UTF8 > "$nimbus_postgres_dir/initdb.log" 2>&1 ||
        { cat "$nimbus_postgres_dir/initdb.log" >&2; return 1; }
    # TLS with a self-signed certificate, so `sslmode=require` is tested against a server that speaks it (plain
    # connections stay allowed).
    command -v openssl > /dev/null || nimbus_install_apt openssl
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
        -keyout "$nimbus_postgres_dir/server.key" -out "$nimbus_postgres_dir/server.crt" > /dev/null 2>&1
    chmod 600 "$nimbus_postgres_dir/server.key"
    [ "$(id -u)" = 0 ] && chown postgres "$nimbus_postgres_dir/server.key" "$nimbus_postgres_dir/server.crt"
    # Tests run several worker processes at once, each with a pool: room for them all. fsync stays on: the crash
    # tests rely on what PostgreSQL promises, not on a shortcut.
    "${runner[@]}" "$bin/pg_ctl" -D "$nimbus_postgres_dir/data" -l "$nimbus_postgres_dir/server.log" -w -t 60 \
        -o "-p $nimbus_postgres_port -c listen_addresses=127.0.0.1 -k $nimbus_postgres_dir -c max_connections=300 -c ssl=on -c ssl_cert_file=$nimbus_postgres_dir/server.crt -c ssl_key_file=$nimbus_postgres_dir/server.key" \
        start > /dev/null ||
        { cat "$nimbus_postgres_dir/server.log" >&2; return 1; }
    nimbus_postgres_runner=("${runner[@]}")
    nimbus_postgres_bindir="$bin"
    export NIMBUS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$nimbus_postgres_port/postgres?sslmode=disable"
    export NIMBUS_TEST_POSTGRES_BIN="$bin"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$nimbus_postgres_port ($nimbus_postgres_dir)" >&2
}

nimbus_test_teardown_postgres() {
    [ -n "${nimbus_postgres_dir:-}" ] || return 0
    "${nimbus_postgres_runner[@]}" "$nimbus_postgres_bindir/pg_ctl" -D "$nimbus_postgres_dir/data" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$nimbus_postgres_dir"
}
