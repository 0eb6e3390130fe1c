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

started=$(date +%s)
scripts/format.sh --check
echo "building (debug, with tests)" >&2
swift build --build-tests
echo "running tests" >&2
swift test --skip-build "$@"
echo "tests passed in $(( $(date +%s) - started ))s" >&2
