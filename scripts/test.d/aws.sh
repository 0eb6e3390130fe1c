# NimbusAWS tests: zlib headers, moto (PyPI moto[server]) and one moto server for the whole run.
# Sourced by scripts/test.sh; see README.md beside this file.

nimbus_aws_moto_pid=""

nimbus_test_setup_aws() {
    nimbus_install_apt zlib1g-dev
    local python="${NIMBUS_TEST_PYTHON:-python3}"
    if ! "$python" -c 'import moto.server, boto3' >/dev/null 2>&1; then
        echo "installing moto[server] and boto3 (pip)" >&2
        "$python" -m pip install --quiet --disable-pip-version-check 'moto[server]' boto3 >&2
    fi
    if [ -n "${NIMBUS_TEST_MOTO_URL:-}" ]; then
        return 0
    fi
    local port
    port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    local log="${TMPDIR:-/tmp}/nimbus-moto-$port.log"
    "$python" -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    nimbus_aws_moto_pid=$!
    local tries=0
    until "$python" -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=2)" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -gt 150 ] || ! kill -0 "$nimbus_aws_moto_pid" 2>/dev/null; then
            echo "error: moto server did not start on port $port; its log:" >&2
            tail -20 "$log" >&2 || true
            return 1
        fi
        sleep 0.2
    done
    export NIMBUS_TEST_MOTO_URL="http://127.0.0.1:$port"
    echo "moto server on $NIMBUS_TEST_MOTO_URL (pid $nimbus_aws_moto_pid)" >&2
}

nimbus_test_teardown_aws() {
    if [ -n "$nimbus_aws_moto_pid" ]; then
        kill "$nimbus_aws_moto_pid" 2>/dev/null || true
        wait "$nimbus_aws_moto_pid" 2>/dev/null || true
        nimbus_aws_moto_pid=""
    fi
}
