# Module catalog tests: independent checks of the generated Terraform with python-hcl2 and checkov (PyPI).
# Sourced by scripts/test.sh. Each tool gets its own virtual environment because checkov depends on
# bc-python-hcl2, a fork that installs the same `hcl2` package as python-hcl2: in one environment the second
# install overwrites the first. Versions are pinned so a new checkov release cannot add failing checks to CI
# unannounced; bump them on purpose. The first run installs from wheels (about two minutes); later runs reuse
# the environments.

nimbus_modules_checkov_version="3.3.30"
nimbus_modules_python_hcl2_version="8.1.4"

# Creates (or repairs) a virtual environment at $1 holding the pinned package $2; prints nothing on success.
nimbus_modules_venv() {
    local venv="$1" requirement="$2" module="$3"
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip show -q "${requirement%%==*}" >/dev/null 2>&1 &&
        [ "$("$venv/bin/python" -m pip show "${requirement%%==*}" 2>/dev/null | sed -n 's/^Version: //p')" = "${requirement##*==}" ] &&
        "$venv/bin/python" -c "import $module" >/dev/null 2>&1; then
        return 0
    fi
    echo "installing $requirement into $venv (pip)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$requirement" >&2
}

nimbus_test_setup_modules() {
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
        nimbus_install_apt python3 python3-venv
    fi
    local cache="${XDG_CACHE_HOME:-$HOME/.cache}/nimbus"
    mkdir -p "$cache"
    nimbus_modules_venv "$cache/checkov-venv" "checkov==$nimbus_modules_checkov_version" checkov
    nimbus_modules_venv "$cache/python-hcl2-venv" "python-hcl2==$nimbus_modules_python_hcl2_version" hcl2
    export NIMBUS_TEST_CHECKOV="$cache/checkov-venv/bin/checkov"
    export NIMBUS_TEST_PYTHON_HCL2="$cache/python-hcl2-venv/bin/python"
    # checkov offline: no guideline mapping download (the tests also pass --skip-download), no update check.
    export BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true
}
