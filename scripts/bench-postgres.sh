#!/usr/bin/env bash
# Nimbus on PostgreSQL, measured against the same PostgreSQL server in one run (a private cluster this script
# starts on a free data directory and port, and stops after):
#
#   1. the 10-step checkpointed loop of the graph benchmark on PostgresStore vs LangGraph with
#      langgraph-checkpoint-postgres (target: at least 10x faster per run);
#   2. the queue: no-op jobs per second with 1, 2 and 4 `nimbus worker` processes (2 slots each; target 2,000
#      jobs/s), and enqueue-to-start latency p50/p99 of an idle worker woken by LISTEN/NOTIFY (target p50 < 5 ms).
#
#   scripts/bench-postgres.sh            full run (loop: Nimbus 300 runs, LangGraph 100; queue: 2,000 jobs)
#   scripts/bench-postgres.sh --quick    fewer runs, to check that everything works
#
# Release builds, in build folders of their own. Exits 0 when everything ran, even if a target is missed (this is
# a report); non-zero when anything failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/Benchmarks"
quick=0
for argument in "$@"; do
    case "$argument" in
        --quick) quick=1 ;;
        -h | --help)
            sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench-postgres.sh: unknown argument '$argument' (known: --quick)" >&2
            exit 2
            ;;
    esac
done
if ((quick)); then
    nimbus_loop=(--loop-runs 30 --warmup 50)
    langgraph_loop=(--loop-runs 10 --warmup 10)
    jobs=200
else
    nimbus_loop=(--loop-runs 300 --warmup 200)
    langgraph_loop=(--loop-runs 100 --warmup 50)
    jobs=2000
fi

source "$root/scripts/setup.sh"
# The cluster: the test hook's, on a port of this script's own.
export NIMBUS_TEST_POSTGRES_PORT="${NIMBUS_BENCH_POSTGRES_PORT:-55499}"
source "$root/scripts/test.d/postgres.sh"
worker_pids=()
cleanup() {
    for pid in "${worker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    nimbus_test_teardown_postgres
}
trap cleanup EXIT
nimbus_test_setup_postgres
admin="$NIMBUS_TEST_POSTGRES_URL"
psql_bin="$NIMBUS_TEST_POSTGRES_BIN/psql"
database() { # name → URL of a new, empty database
    "$psql_bin" "$admin" -qAtc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    echo "${admin/\/postgres\?/\/$1?}"
}

# LangGraph with its PostgreSQL checkpointer, in a private virtualenv made once.
venv="$bench/.venv-langgraph-postgres"
peer_packages=(langgraph langgraph-checkpoint-sqlite langgraph-checkpoint-postgres "psycopg[binary]")
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import langgraph.checkpoint.postgres, psycopg' 2>/dev/null; then
    echo "==> making $venv (${peer_packages[*]})" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${peer_packages[@]}" >&2
fi
langgraph_version="$("$venv/bin/python" -c '
from importlib.metadata import version
print(version("langgraph"), "/ checkpoint-postgres", version("langgraph-checkpoint-postgres"))')"

build_flags=(-c release --static-swift-stdlib -Xlinker -no-pie)
echo "==> building graph-compare and nimbus (release)" >&2
touch "$bench/Sources/graph-compare/GraphCompare.swift"
swift build "${build_flags[@]}" --package-path "$bench" --product graph-compare >&2
graph_compare="$(swift build "${build_flags[@]}" --package-path "$bench" --show-bin-path)/graph-compare"
# nimbus links Foundation's networking, which a static standard library would need libcurl's static archive for.
swift build -c release --package-path "$root" --scratch-path "$root/.build-release" --product nimbus >&2
nimbus="$(swift build -c release --package-path "$root" --scratch-path "$root/.build-release" --show-bin-path)/nimbus"

results="$(mktemp -d "${TMPDIR:-/tmp}/bench-postgres.XXXXXX")"
echo "==> loop10 on PostgreSQL: NimbusGraph" >&2
"$graph_compare" --scenario loop10_sqlite --store-url "$(database bench_loop_nimbus)" "${nimbus_loop[@]}" \
    >"$results/nimbus.json"
echo "==> loop10 on PostgreSQL: LangGraph" >&2
langgraph_url="$(database bench_loop_langgraph)"
"$venv/bin/python" "$bench/langgraph/bench_langgraph.py" --scenario loop10_sqlite \
    --postgres-url "${langgraph_url%%\?*}" "${langgraph_loop[@]}" >"$results/langgraph.json"

# The queue: W worker processes, `nimbus worker ping` queues the jobs and waits for them.
home="$results/home"
mkdir -p "$home"
for workers in 1 2 4; do
    url="$(database "bench_queue_$workers")"
    echo "==> queue: $jobs no-op jobs, $workers worker process(es)" >&2
    NIMBUS_HOME="$home" NIMBUS_STORE_URL="$url" "$nimbus" store info >/dev/null
    worker_pids=()
    for _ in $(seq "$workers"); do
        NIMBUS_HOME="$home" NIMBUS_STORE_URL="$url" NIMBUS_LOG_LEVEL=warning "$nimbus" worker --concurrency 2 \
            >>"$results/workers.log" 2>&1 &
        worker_pids+=("$!")
    done
    sleep 1
    NIMBUS_HOME="$home" NIMBUS_STORE_URL="$url" "$nimbus" worker ping --count "$jobs" --wait 300 --output json \
        >"$results/ping-$workers.json"
    for pid in "${worker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    worker_pids=()
    # Throughput from the first job queued to the last one done; latency from queued to started, per job.
    "$psql_bin" "${url%%\?*}" -qAtF ' ' -c "
        SELECT count(*),
            (max(e.finished_at) - min(j.created_at)),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY (e.started_at - j.created_at) * 1000),
            percentile_cont(0.99) WITHIN GROUP (ORDER BY (e.started_at - j.created_at) * 1000)
        FROM jobs j JOIN agent_executions e ON e.job_id = j.id WHERE j.status = 'succeeded'" \
        >"$results/queue-$workers.txt"
done

# Latency with an idle worker: one job at a time, each queued only after the one before it finished, so the time
# from queued to started is the worker's wake-up (LISTEN/NOTIFY), not a wait behind a backlog.
url="$(database bench_latency)"
singles=$((quick ? 20 : 100))
echo "==> latency: $singles single jobs, one idle worker" >&2
NIMBUS_HOME="$home" NIMBUS_STORE_URL="$url" "$nimbus" store info >/dev/null
NIMBUS_HOME="$home" NIMBUS_STORE_URL="$url" NIMBUS_LOG_LEVEL=warning "$nimbus" worker --concurrency 2 \
    >>"$results/workers.log" 2>&1 &
worker_pids=("$!")
sleep 1
NIMBUS_HOME="$home" NIMBUS_STORE_URL="$url" "$nimbus" worker ping --count "$singles" --one-by-one --wait 120 >/dev/null
kill "${worker_pids[0]}" 2>/dev/null || true
wait "${worker_pids[0]}" 2>/dev/null || true
worker_pids=()
"$psql_bin" "${url%%\?*}" -qAtF ' ' -c "
    SELECT count(*),
        percentile_cont(0.5) WITHIN GROUP (ORDER BY (e.started_at - j.created_at) * 1000),
        percentile_cont(0.99) WITHIN GROUP (ORDER BY (e.started_at - j.created_at) * 1000)
    FROM jobs j JOIN agent_executions e ON e.job_id = j.id WHERE j.status = 'succeeded'" >"$results/latency.txt"

python3 - "$results" "$langgraph_version" "$jobs" "$quick" <<'PY'
import json
import sys
from pathlib import Path

results, langgraph_version, jobs, quick = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
nimbus = json.loads((results / "nimbus.json").read_text().splitlines()[-1])
langgraph = json.loads((results / "langgraph.json").read_text().splitlines()[-1])


def met(ok):
    return "MET" if ok else "MISSED"


speed = langgraph["us_per_run"] / nimbus["us_per_run"]
print()
print(f"Nimbus on PostgreSQL vs LangGraph ({langgraph_version}), one PostgreSQL 15 server"
      + (" [--quick]" if quick else ""))
print()
print("1. loop10: 10-step loop, PostgreSQL checkpointer, new thread per run")
print(f"  {'':16}{'Nimbus':>12}{'LangGraph':>12}{'ratio L/N':>12}  target")
print(f"  {'runs':16}{nimbus['runs']:>12,}{langgraph['runs']:>12,}")
print(f"  {'mean us/run':16}{nimbus['us_per_run']:>12,.0f}{langgraph['us_per_run']:>12,.0f}{speed:>11,.1f}x"
      f"  >= 10x: {met(speed >= 10)}")
print(f"  {'p50 us/run':16}{nimbus['p50_us']:>12,.0f}{langgraph['p50_us']:>12,.0f}")
print(f"  {'p99 us/run':16}{nimbus['p99_us']:>12,.0f}{langgraph['p99_us']:>12,.0f}")
print()
print(f"2. the queue: {jobs:,} no-op jobs, `nimbus worker --concurrency 2` processes, LISTEN/NOTIFY")
print(f"  {'workers':>8}{'jobs':>8}{'jobs/s':>10}{'p50 ms':>10}{'p99 ms':>10}  target: 2,000 jobs/s")
for workers in (1, 2, 4):
    count, seconds, p50, p99 = (results / f"queue-{workers}.txt").read_text().split()
    rate = int(count) / float(seconds)
    print(f"  {workers:>8}{int(count):>8,}{rate:>10,.0f}{float(p50):>10.2f}{float(p99):>10.2f}"
          f"  {met(rate >= 2000)}")
print("  (p50/p99 above: queued to started, behind the backlog of a batch queued at once)")
count, p50, p99 = (results / "latency.txt").read_text().split()
print()
print(f"3. enqueue-to-start latency, one idle worker, {int(count)} jobs queued one at a time")
print(f"  p50 {float(p50):.2f} ms, p99 {float(p99):.2f} ms  target p50 < 5 ms: {met(float(p50) < 5)}")
PY
rm -rf "$results"
