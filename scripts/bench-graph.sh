#!/usr/bin/env bash
# Compares NimbusGraph with LangGraph on the same three graphs and prints one table per scenario.
#
#   scripts/bench-graph.sh            full run (Nimbus 20,000 / 20,000 / 500 runs; LangGraph 2,000 / 2,000 / 200)
#   scripts/bench-graph.sh --quick    fewer runs, for a check that everything works
#
# Each scenario runs in a fresh process per side, so peak RSS is that scenario's alone.
# Exits 0 when everything ran, even if a target is missed (this is a report); non-zero when anything failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/Benchmarks"
venv="$bench/.venv-langgraph"

quick=0
for argument in "$@"; do
    case "$argument" in
        --quick) quick=1 ;;
        -h | --help)
            sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench-graph.sh: unknown argument '$argument' (known: --quick)" >&2
            exit 2
            ;;
    esac
done

if ((quick)); then
    nimbus_args=(--runs 2000 --loop-runs 50 --warmup 200)
    langgraph_args=(--runs 200 --loop-runs 20 --warmup 20)
else
    nimbus_args=(--runs 20000 --loop-runs 500 --warmup 1000)
    langgraph_args=(--runs 2000 --loop-runs 200 --warmup 100)
fi

started=$SECONDS

# LangGraph in a private virtualenv, made once.
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import langgraph.checkpoint.sqlite' 2>/dev/null; then
    echo "==> creating $venv with langgraph and langgraph-checkpoint-sqlite" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check langgraph langgraph-checkpoint-sqlite
fi
langgraph_version="$("$venv/bin/python" -c '
from importlib.metadata import version
print(version("langgraph"), "/ checkpoint-sqlite", version("langgraph-checkpoint-sqlite"))')"

# Release, with the Swift runtime linked statically into a non-PIE executable: how a Swift server binary is
# shipped, and it keeps the loader from touching the whole image at start-up (peak RSS is part of the report).
build_flags=(-c release --package-path "$bench" --static-swift-stdlib -Xlinker -no-pie)
echo "==> building graph-compare (release, static Swift runtime)" >&2
# SwiftPM misses changes to inlinable code in path dependencies: recompiling the small harness costs seconds.
touch "$bench/Sources/graph-compare/GraphCompare.swift" "$bench/Sources/GraphScenarios/GraphScenarios.swift"
swift build "${build_flags[@]}" --product graph-compare >&2
bin_dir="$(swift build "${build_flags[@]}" --show-bin-path)"
graph_compare="$bin_dir/graph-compare"

results="$(mktemp -d "${TMPDIR:-/tmp}/bench-graph.XXXXXX")"
trap 'rm -rf "$results"' EXIT

scenarios=(chain3 fanout5_join loop10_sqlite)
for scenario in "${scenarios[@]}"; do
    echo "==> $scenario: NimbusGraph" >&2
    "$graph_compare" --scenario "$scenario" "${nimbus_args[@]}" >>"$results/nimbus.jsonl"
    echo "==> $scenario: LangGraph" >&2
    "$venv/bin/python" "$bench/langgraph/bench_langgraph.py" --scenario "$scenario" "${langgraph_args[@]}" \
        >>"$results/langgraph.jsonl"
done

elapsed=$((SECONDS - started))
python3 - "$results/nimbus.jsonl" "$results/langgraph.jsonl" "$langgraph_version" "$elapsed" "$quick" <<'PY'
import json
import sys

nimbus_path, langgraph_path, langgraph_version, elapsed, quick = sys.argv[1:6]


def load(path):
    rows = {}
    with open(path) as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                rows[row["scenario"]] = row
    return rows


nimbus, langgraph = load(nimbus_path), load(langgraph_path)
speed_targets = {"chain3": 100, "fanout5_join": 100, "loop10_sqlite": 20}
memory_target = 5
titles = {
    "chain3": "1. chain3: START -> a -> b -> c -> END, no checkpointer",
    "fanout5_join": "2. fanout5_join: START -> fan -> w1..w5 (append reducer) -> join -> END, no checkpointer",
    "loop10_sqlite": "3. loop10_sqlite: 10-step loop, SQLite checkpointer, new thread per run",
}
missing = [s for s in speed_targets if s not in nimbus or s not in langgraph]
if missing:
    sys.exit(f"bench-graph.sh: no result for {', '.join(missing)}")


def met(ok):
    return "MET" if ok else "MISSED"


print()
print(f"NimbusGraph vs LangGraph ({langgraph_version}){' [--quick]' if quick == '1' else ''}")
summary = []
for scenario, target in speed_targets.items():
    n, l = nimbus[scenario], langgraph[scenario]
    speed = l["us_per_run"] / n["us_per_run"]
    speed50 = l["p50_us"] / n["p50_us"]
    n_mb, l_mb = n["peak_rss_kb"] / 1024, l["peak_rss_kb"] / 1024
    memory = l_mb / n_mb
    print()
    print(titles[scenario])
    print(f"  {'':26}{'NimbusGraph':>14}{'LangGraph':>14}{'ratio L/N':>12}  target")
    print(f"  {'runs':26}{n['runs']:>14,}{l['runs']:>14,}")
    print(f"  {'mean us/run':26}{n['us_per_run']:>14,.1f}{l['us_per_run']:>14,.1f}{speed:>11,.1f}x"
          f"  >= {target}x faster: {met(speed >= target)}")
    print(f"  {'p50 us/run':26}{n['p50_us']:>14,.1f}{l['p50_us']:>14,.1f}{speed50:>11,.1f}x")
    print(f"  {'p99 us/run':26}{n['p99_us']:>14,.1f}{l['p99_us']:>14,.1f}")
    print(f"  {'peak RSS MB':26}{n_mb:>14,.1f}{l_mb:>14,.1f}{memory:>11,.1f}x"
          f"  Nimbus <= 1/{memory_target}: {met(memory >= memory_target)}")
    summary.append((scenario, speed, target, memory))

print()
print("Targets")
for scenario, speed, target, memory in summary:
    print(f"  {scenario:16} speed {speed:8,.1f}x (>= {target}x) {met(speed >= target):7}"
          f"  memory {memory:5.1f}x (>= {memory_target}x) {met(memory >= memory_target)}")
print(f"\nTotal time: {elapsed} s")
PY
