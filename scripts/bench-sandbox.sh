#!/usr/bin/env bash
# The sandbox's start-up overhead: the same script run as a plain process and in bubblewrap, side by side in one
# run, through `nimbus sandbox run` (release build). Both go through the same boot program, limits and capture, so
# the difference is what the namespaces cost (target: under 50 ms added per run; Firecracker's published microVM
# boot is 125 ms). Times are the child's wall time as Nimbus measured it, not the nimbus process's start.
#
#   scripts/bench-sandbox.sh            30 runs of each script in each sandbox
#   scripts/bench-sandbox.sh --quick    5 runs, to check that everything works
#
# Then the whole offline inspection of "which S3 buckets are public?" against a private moto server with 100
# buckets (10 of them public): the time, split into validation and the sandboxed run, and the AWS calls it made.
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
export NIMBUS_SANDBOX_CHECKERS="${NIMBUS_SANDBOX_CHECKERS:-${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/sandbox/checkers}"
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

echo "==> the inspection of 100 buckets against moto" >&2
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
python3 - <<'PY'
import json, time, boto3
s3 = boto3.client("s3")
for _ in range(100):
    try:
        s3.list_buckets()
        break
    except Exception:
        time.sleep(0.1)
for index in range(100):
    name = f"bench-{index:03d}"
    s3.create_bucket(Bucket=name)
    if index % 10 == 0:
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                  "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
PY
for index in 1 2 3; do
    start="$(date +%s.%N)"
    "$nimbus" inspect "which S3 buckets are public?" --offline --output json >"$work/inspect-$index.json" 2>/dev/null
    end="$(date +%s.%N)"
    python3 -c "print($end - $start)" >"$work/inspect-$index.time"
done

python3 - "$work" "$runs" <<'PY'
import json
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

inspections = []
for index in (1, 2, 3):
    outcome = json.loads((work / f"inspect-{index}.json").read_text())
    seconds = float((work / f"inspect-{index}.time").read_text())
    iteration = outcome["iterations"][0]
    execution = iteration["execution"] or {}
    inspections.append((seconds, execution.get("wall_seconds", 0), len(execution.get("calls", [])),
                        len(outcome["findings"])))
inspections.sort()
seconds, run, calls, findings = inspections[1]
print()
print("The offline inspection of \"which S3 buckets are public?\" against moto, 100 buckets (10 public), median of 3")
print(f"  whole command: {seconds:.2f} s   the sandboxed script: {run:.2f} s   validation and the rest: "
      f"{seconds - run:.2f} s")
print(f"  AWS calls: {calls}   findings: {findings} (expected 10)")
PY
