# `nimbus mcp` tests: the official MCP Python SDK (PyPI mcp) drives the server over stdio (Tests/MCP/mcp_client.py).
# Sourced by scripts/test.sh; see README.md beside this file. The SDK gets its own virtual environment, pinned so
# a new release cannot change the client under the tests unannounced; bump it on purpose.

nimbus_mcp_sdk_version="2.3.0"

nimbus_test_setup_mcp() {
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
        nimbus_install_apt python3 python3-venv
    fi
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/mcp-venv"
    if ! [ -x "$venv/bin/python" ] ||
        [ "$("$venv/bin/python" -m pip show mcp 2>/dev/null | sed -n 's/^Version: //p')" != "$nimbus_mcp_sdk_version" ] ||
        ! "$venv/bin/python" -c "import mcp.client.stdio" >/dev/null 2>&1; then
        echo "installing mcp==$nimbus_mcp_sdk_version into $venv (pip)" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv" >&2
        "$venv/bin/python" -m pip install -q --disable-pip-version-check "mcp==$nimbus_mcp_sdk_version" >&2
    fi
    export NIMBUS_TEST_MCP_PYTHON="$venv/bin/python"
}
