#!/usr/bin/env bash
# The sandbox's start-up overhead: the same script run as a plain process and in bubblewrap, side by side in one
# run, through `nimbus sandbox run` (release build). Both go through the same boot program, limits and capture, so
# the difference is what the namespaces cost (target: under 50 ms added per run; Firecracker's published microVM
# boot is 125 ms). Times are the child's wall time as Nimbus measured it, not the nimbus process's start.
#
#   scripts/bench-sandbox.sh            30 runs of each script in each sandbox
#   scripts/bench-sandbox.sh --quick    5 runs, to check that everything works
#
# Exits 0 when everything ran, even if the target is missed (this is a report).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=30
for argument in "$@"; do
    case "$argument" in
        --quick) runs=5 ;;
        -h | --help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench-sandbox.sh: unknown argument '$argument' (known: --quick)" >&2
            exit 2
            ;;
    esac
done
source "$root/scripts/setup.sh"
command -v bwrap >/dev/null 2>&1 || nimbus_install_apt bubblewrap

echo "==> building nimbus (release)" >&2
swift build -c release --package-path "$root" --scratch-path "$root/.build-release" --product nimbus >&2
nimbus="$(swift build -c release --package-path "$root" --scratch-path "$root/.build-release" --show-bin-path)/nimbus"

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-sandbox.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export NIMBUS_HOME="$work/home"
# The sandbox's Python: the shared one the tests make, else one made here.
export NIMBUS_SANDBOX_PYTHON="${NIMBUS_SANDBOX_PYTHON:-${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/sandbox/python}"
"$nimbus" sandbox prepare >&2
printf 'print("{}")\n' >"$work/empty.py"
printf 'import boto3\nboto3.client("s3", region_name="us-east-1")\nprint("{}")\n' >"$work/boto3.py"

for script in empty boto3; do
    for sandbox in process bubblewrap; do
        echo "==> $script.py in $sandbox ($runs runs)" >&2
        for _ in $(seq "$runs"); do
            "$nimbus" sandbox run "$work/$script.py" --sandbox "$sandbox" --output json 2>/dev/null |
                python3 -c 'import json, sys; print(json.load(sys.stdin)["wall_seconds"])'
        done >"$work/$script-$sandbox.txt"
    done
done

python3 - "$work" "$runs" <<'PY'
import statistics
import sys
from pathlib import Path

work, runs = Path(sys.argv[1]), int(sys.argv[2])


def times(name):
    return sorted(float(line) * 1000 for line in (work / f"{name}.txt").read_text().split())


print()
print(f"Sandbox start-up, {runs} runs each, milliseconds of the child's wall time (release nimbus)")
print(f"  {'script':10}{'sandbox':12}{'p50':>8}{'p90':>8}{'min':>8}")
for script in ("empty", "boto3"):
    for sandbox in ("process", "bubblewrap"):
        values = times(f"{script}-{sandbox}")
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"  {script:10}{sandbox:12}{statistics.median(values):>8.1f}{p90:>8.1f}{values[0]:>8.1f}")
for script in ("empty", "boto3"):
    added = statistics.median(times(f"{script}-bubblewrap")) - statistics.median(times(f"{script}-process"))
    print(f"  added by bubblewrap ({script}.py, p50): {added:.1f} ms  target < 50 ms: {'MET' if added < 50 else 'MISSED'}")
PY
