#!/usr/bin/env bash
# Parse throughput of NimbusHCL against python-hcl2, same files, same run: hcl-rs's large.tf and the whole
# HCL conformance corpus (every .tf/.hcl/.tfvars file python-hcl2 accepts). Prints MB/s for both and the ratio.
#
#   scripts/bench-hcl.sh            full run
#   scripts/bench-hcl.sh --quick    fewer runs, to check that everything works
#
# python-hcl2 is installed into Benchmarks/.venv-hcl on first use. NimbusHCL is built in release.
# Exits 0 when everything ran (the table says whether the targets, 100x and 50 MB/s, were met).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/Benchmarks"
venv="$bench/.venv-hcl"
conformance="${NIMBUS_CONFORMANCE_DIR:-$root/../shared/conformance}"
python_hcl2_version="8.1.4"

swift_runs=50
python_runs=3
if [[ "${1:-}" == "--quick" ]]; then
    swift_runs=5
    python_runs=1
fi
if [[ ! -d "$conformance/hcl" ]]; then
    echo "error: conformance data missing at $conformance (set NIMBUS_CONFORMANCE_DIR)" >&2
    exit 1
fi

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import hcl2' 2>/dev/null; then
    echo "==> creating $venv with python-hcl2 $python_hcl2_version" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "python-hcl2==$python_hcl2_version"
fi

build_flags=(-c release --package-path "$bench" --static-swift-stdlib -Xlinker -no-pie)
echo "==> building hcl-compare (release)" >&2
touch "$bench/Sources/hcl-compare/HCLCompare.swift"
swift build "${build_flags[@]}" --product hcl-compare >&2
hcl_compare="$(swift build "${build_flags[@]}" --show-bin-path)/hcl-compare"

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-hcl.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "$conformance/hcl/hcl-rs/testdata/data/large.tf" >"$work/large.txt"
find "$conformance/hcl" -type f \( -name '*.tf' -o -name '*.hcl' -o -name '*.tfvars' \) | sort >"$work/all.txt"

run() { # name list
    local name="$1" list="$2"
    echo "==> $name: python-hcl2 ($python_runs runs)" >&2
    "$venv/bin/python" "$bench/hcl/bench_python_hcl2.py" --files "$list" --runs "$python_runs" \
        --accepted "$work/$name.accepted" >"$work/$name.python.json"
    echo "==> $name: NimbusHCL ($swift_runs runs)" >&2
    "$hcl_compare" --files "$work/$name.accepted" --runs "$swift_runs" >"$work/$name.swift.json"
}
run large "$work/large.txt"
run corpus "$work/all.txt"

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
print("MB/s by CPU time of each process (what the parsers cost), and by wall-clock time (what a shared machine gave them)")
print(f"{'input':<8} {'files':>6} {'MB':>6} {'NimbusHCL cpu':>14} {'python-hcl2 cpu':>16} {'ratio':>7}   {'NimbusHCL wall':>15} {'python-hcl2 wall':>17} {'ratio':>7}  targets (>=100x, >=50 MB/s)")
for name in ("large", "corpus"):
    swift = json.load(open(f"{work}/{name}.swift.json"))
    python = json.load(open(f"{work}/{name}.python.json"))
    cpu_ratio = swift["cpu_mb_per_s"] / python["cpu_mb_per_s"]
    wall_ratio = swift["mb_per_s"] / python["mb_per_s"]
    met = "met" if cpu_ratio >= 100 and swift["cpu_mb_per_s"] >= 50 else "MISSED"
    errors = f", {swift['errors']} files NimbusHCL rejects" if swift["errors"] else ""
    print(f"{name:<8} {swift['files']:>6} {swift['bytes'] / 1e6:>6.2f} {swift['cpu_mb_per_s']:>14.1f} "
          f"{python['cpu_mb_per_s']:>16.3f} {cpu_ratio:>6.0f}x   {swift['mb_per_s']:>15.1f} {python['mb_per_s']:>17.3f} "
          f"{wall_ratio:>6.0f}x  {met} (by CPU time){errors}")
print(f"python-hcl2 {python['version']}; load average {open('/proc/loadavg').read().split()[0]}")
PY
