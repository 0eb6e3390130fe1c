# Server tests: schemathesis (PyPI) fuzzes the routes from /openapi.json against a live `nimbus serve`. Sourced by
# scripts/test.sh; see README.md beside this file. Pinned so a new release cannot add checks to CI unannounced.

nimbus_server_schemathesis_version="4.32.5"

nimbus_test_setup_server() {
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/schemathesis-venv"
    if ! [ -x "$venv/bin/schemathesis" ] ||
        [ "$("$venv/bin/python" -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p')" != "$nimbus_server_schemathesis_version" ]; then
        echo "installing schemathesis==$nimbus_server_schemathesis_version into $venv (pip)" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            "schemathesis==$nimbus_server_schemathesis_version" >&2
    fi
    export NIMBUS_TEST_SCHEMATHESIS="$venv/bin/schemathesis"
}
