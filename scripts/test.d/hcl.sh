# NimbusHCL: its tests need nothing installed beyond Swift (the conformance suites come from
# NIMBUS_CONFORMANCE_DIR). In CI, or when NIMBUS_FUZZ_SECONDS is set, the libFuzzer target also runs briefly
# (default 30 s; about 2 minutes to build on 2 cores), so a crash, leak or hang in the parser fails the run.

nimbus_test_setup_hcl() {
    local seconds="${NIMBUS_FUZZ_SECONDS:-}"
    if [ -z "$seconds" ] && [ -n "${CI:-}" ]; then seconds=30; fi
    if [ -z "$seconds" ] || [ "$seconds" = "0" ]; then return 0; fi
    echo "fuzzing NimbusHCL for ${seconds}s (scripts/fuzz-hcl.sh)" >&2
    scripts/fuzz-hcl.sh "$seconds" 2>&1 | tail -n 5 >&2
    return "${PIPESTATUS[0]}"
}
