# NimbusSandbox tests: Debian's bubblewrap (the sandbox), util-linux's setpriv (a root-run sandbox drops to an
# unprivileged user) and python3-venv. The tests make the sandbox's Python environment (boto3 from PyPI) themselves,
# through the code users run, once per machine under ~/.cache/nimbus/sandbox/python.
# Sourced by scripts/test.sh; see README.md beside this file.

nimbus_test_setup_sandbox() {
    command -v bwrap >/dev/null 2>&1 || nimbus_install_apt bubblewrap
    command -v setpriv >/dev/null 2>&1 || nimbus_install_apt util-linux
    if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
        nimbus_install_apt python3-venv
    fi
    # The kernel must let bubblewrap make namespaces; say so plainly when it does not.
    if ! bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib -- /usr/bin/true \
        >/dev/null 2>&1; then
        echo "warning: bubblewrap cannot make namespaces here; the sandbox tests will fail" >&2
    fi
}
