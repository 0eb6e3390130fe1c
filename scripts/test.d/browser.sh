# Web page tests: Debian's Chromium and chromedriver, and Selenium (PyPI) in its own virtual environment for
# Tests/Browser/page_test.py, which the server tests run against a live `nimbus serve`. Sourced by scripts/test.sh;
# see README.md beside this file. Selenium is pinned (4.52 and later need a certifi that PyPI mirrors may not have
# yet); boto3 is there for the test's own look at moto. The first run installs from wheels in seconds; later runs
# reuse the environment.

nimbus_browser_selenium_version="4.51.0"
nimbus_browser_boto3_version="1.44.18"

nimbus_test_setup_browser() {
    nimbus_install_apt chromium chromium-driver
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
        nimbus_install_apt python3 python3-venv
    fi
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/selenium-venv"
    local python="$venv/bin/python"
    if ! [ -x "$python" ] || [ "$("$python" -c 'import selenium, boto3; print(selenium.__version__, boto3.__version__)' 2>/dev/null)" != \
        "$nimbus_browser_selenium_version $nimbus_browser_boto3_version" ]; then
        echo "installing selenium==$nimbus_browser_selenium_version into $venv (pip)" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv" >&2
        "$python" -m pip install -q --disable-pip-version-check \
            "selenium==$nimbus_browser_selenium_version" "boto3==$nimbus_browser_boto3_version" >&2
    fi
    export NIMBUS_TEST_SELENIUM_PYTHON="$python"
    export NIMBUS_TEST_CHROMEDRIVER=/usr/bin/chromedriver
    # Selenium finds the browser and driver it is given; it must not try to download its own.
    export SE_OFFLINE=true
}
