#!/usr/bin/env bash
# Everything the tests need, then the tests: installs missing packages, checks formatting, builds, runs `swift test`.
# Works on a fresh machine; servers that later tests need are started here and stopped on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
nimbus_setup

# Conformance suites live beside the project (../shared/conformance). CI must have them.
export NIMBUS_CONFORMANCE_DIR="${NIMBUS_CONFORMANCE_DIR:-$root/../shared/conformance}"
if [ ! -d "$NIMBUS_CONFORMANCE_DIR" ]; then
    if [ -n "${CI:-}" ]; then
        echo "error: conformance data missing at $NIMBUS_CONFORMANCE_DIR" >&2
        exit 1
    fi
    echo "warning: conformance data missing at $NIMBUS_CONFORMANCE_DIR; suites that need it will skip" >&2
fi

# Module hooks (scripts/test.d/*.sh) install what their tests need and start the servers they use.
hooks=()
for hook in scripts/test.d/*.sh; do
    [ -e "$hook" ] || continue
    name="$(basename "$hook" .sh)"
    # shellcheck disable=SC1090
    source "$hook"
    hooks+=("$name")
done
nimbus_test_teardown_all() {
    for name in "${hooks[@]}"; do
        if declare -F "nimbus_test_teardown_$name" >/dev/null; then "nimbus_test_teardown_$name" || true; fi
    done
}
trap nimbus_test_teardown_all EXIT
for name in "${hooks[@]}"; do
    if declare -F "nimbus_test_setup_$name" >/dev/null; then
        echo "setting up for $name tests" >&2
        "nimbus_test_setup_$name"
    fi
done

started=$(date +%s)
scripts/format.sh --check
echo "building (debug, with tests)" >&2
swift build --build-tests
echo "running tests" >&2
swift test --skip-build "$@"
echo "tests passed in $(( $(date +%s) - started ))s" >&2
