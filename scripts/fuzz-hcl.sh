#!/usr/bin/env bash
# Fuzzes the NimbusHCL parser, formatter, printer and JSON conversion with libFuzzer for SECONDS (default 600).
# Builds Fuzz/ with -sanitize=fuzzer,address into its own scratch folder (the main build never sees the flags),
# seeds the corpus with the conformance suites' HCL files, and fails on any crash, leak or timeout.
# Found inputs are left in Fuzz/.build-fuzz/findings: add each as a case in Tests/NimbusHCLTests/FuzzRegressionTests.swift.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
scratch="$root/Fuzz/.build-fuzz"
conformance="${NIMBUS_CONFORMANCE_DIR:-$root/../shared/conformance}"

echo "building the fuzzer (release, -sanitize=fuzzer,address)" >&2
swift build --package-path "$root/Fuzz" --scratch-path "$scratch" -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
binary="$(swift build --package-path "$root/Fuzz" --scratch-path "$scratch" -c release --show-bin-path)/hcl-fuzz"

corpus="$scratch/corpus"
findings="$scratch/findings"
mkdir -p "$corpus" "$findings"
if [ -d "$conformance/hcl" ] && [ -z "$(ls -A "$corpus")" ]; then
    # Seeds are copied into the scratch folder (ignored by git), never into the project.
    find "$conformance/hcl" -type f \( -name '*.tf' -o -name '*.hcl' -o -name '*.tfvars' -o -name '*.t' \) -size -64k \
        -exec sh -c 'for f; do cp "$f" "$0/$(basename "$(dirname "$f")")-$(basename "$f")" 2>/dev/null || true; done' "$corpus" {} +
fi
echo "fuzzing for ${seconds}s with $(ls "$corpus" | wc -l) seed inputs" >&2
status=0
"$binary" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -detect_leaks=1 -artifact_prefix="$findings/" -print_final_stats=1 || status=$?
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$findings")" ]; then
    echo "error: the fuzzer found a problem; inputs are in $findings" >&2
    exit 1
fi
echo "fuzzing: no crash, leak or timeout in ${seconds}s" >&2
