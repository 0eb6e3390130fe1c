#!/usr/bin/env bash
# Formats the Swift sources with the committed .swift-format; with --check, lists files that drift and fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.swift' | grep -v '^Benchmarks/.build')
if [ "${1:-}" = "--check" ]; then
    drift=0
    for file in "${files[@]}"; do
        [ -f "$file" ] || continue
        if ! swift format format --configuration .swift-format "$file" | cmp -s - "$file"; then
            echo "not formatted: $file" >&2
            drift=1
        fi
    done
    if [ $drift -ne 0 ]; then
        echo "error: run scripts/format.sh to format the files above" >&2
        exit 1
    fi
    echo "formatting: ${#files[@]} files checked" >&2
else
    swift format format --configuration .swift-format --in-place "${files[@]}"
fi
