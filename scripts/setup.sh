#!/usr/bin/env bash
# Installs what Nimbus needs on a fresh Debian machine with Swift: idempotent, quiet when all is there.
# Sourced by scripts/nimbus, scripts/test.sh and scripts/bench-graph.sh; run it alone to set up a machine.
set -euo pipefail

nimbus_require_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        echo "error: swift is not on PATH; Nimbus needs Swift 6.1 or newer (https://swift.org/install)" >&2
        exit 1
    fi
}

# Debian packages the build and tests need.
nimbus_apt_packages=(libsqlite3-dev zlib1g-dev)

nimbus_install_apt() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing ${missing[*]} (apt)" >&2
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

nimbus_setup() {
    nimbus_require_swift
    nimbus_install_apt "${nimbus_apt_packages[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    nimbus_setup
    echo "ready" >&2
fi
