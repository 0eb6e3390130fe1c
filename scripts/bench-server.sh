#!/usr/bin/env bash
# Benchmarks `nimbus serve` (release) against a FastAPI peer over the same SQLite store, and prints one table.
#
#   scripts/bench-server.sh                  build nimbus (release, in .build-bench) and run everything
#   scripts/bench-server.sh --nimbus PATH    use this nimbus binary instead of building one
#   scripts/bench-server.sh --quiet-logs     both servers without per-request logs (nimbus log.level=warning,
#                                            uvicorn --no-access-log); by default each logs as it ships
#   scripts/bench-server.sh --keep           keep the temporary folder (servers' logs, wrk output, JSON)
#   --duration 10s  --connections 32  --threads 2  --seed 50  --chat-runs 50  --sockets 100
#
# What it measures, against one temporary NIMBUS_HOME seeded with --seed runs (`POST /v1/ask` against moto):
#   1. GET /v1/runs?limit=20 under wrk (-t2 -c32 -d10s --latency, after a 2 s warm-up) for nimbus (its default
#      event-loop threads) and for Benchmarks/server/fastapi_peer.py under uvicorn with 1, then 2 workers; CPU ms/req
#      is the server's CPU time (user + system, uvicorn's workers included) over the measured run, per request;
#   2. the chat socket's round trip: "list all S3 buckets" until its outcome, --chat-runs times (the peer has none);
#   3. nimbus's memory (VmRSS, VmHWM) with --sockets authenticated idle chat sockets, in a fresh process.
# Targets (report only): >= 10x FastAPI's requests/s with a lower p99; under 40 MB RSS with 100 sockets open.
# Exits 0 when everything ran, even if a target is missed; non-zero when a build, an install or a step failed.
# Needs: swift, python3 (with venv); wrk comes from apt, FastAPI/uvicorn/websockets (and moto if python3 has
# none) from PyPI into ${XDG_CACHE_HOME:-~/.cache}/nimbus/fastapi-venv. NIMBUS_TEST_MOTO_URL reuses a moto server.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/Benchmarks/server"
source "$root/scripts/setup.sh"

nimbus=""
quiet_logs=0
keep=0
duration=10s
connections=32
threads=2
seed_runs=50
chat_runs=50
sockets=100
while (($#)); do
    case "$1" in
        --nimbus) nimbus="$2"; shift 2 ;;
        --quiet-logs) quiet_logs=1; shift ;;
        --keep) keep=1; shift ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --seed) seed_runs="$2"; shift 2 ;;
        --chat-runs) chat_runs="$2"; shift 2 ;;
        --sockets) sockets="$2"; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *)
            echo "bench-server.sh: unknown argument '$1' (known: --nimbus PATH, --quiet-logs, --keep, --duration D," \
                "--connections N, --threads N, --seed N, --chat-runs N, --sockets N)" >&2
            exit 2
            ;;
    esac
done

# Pinned, so two runs months apart compare the same peer.
peer_packages=(fastapi==0.165.0 uvicorn==0.55.0 uvloop==0.23.0 httptools==0.9.0 websockets==17.4)
moto_package='moto[server]==5.2.1'

# Tools: wrk (apt), the peer's virtualenv (PyPI).
nimbus_install_apt wrk
command -v python3 >/dev/null 2>&1 || nimbus_install_apt python3
python3 -c 'import ensurepip, venv' 2>/dev/null || nimbus_install_apt python3-venv
venv="${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/fastapi-venv"
python="$venv/bin/python"
if [[ ! -x "$python" ]] || [[ "$(cat "$venv/.nimbus-pins" 2>/dev/null)" != "${peer_packages[*]}" ]]; then
    echo "==> making $venv (${peer_packages[*]})" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${peer_packages[@]}" >&2
    echo "${peer_packages[*]}" >"$venv/.nimbus-pins"
fi

# nimbus, release, in a build folder of its own so a debug build or `swift test` in .build is never locked.
if [[ -z "$nimbus" ]]; then
    nimbus_require_swift
    nimbus_install_apt "${nimbus_apt_packages[@]}"
    build_flags=(-c release --package-path "$root" --scratch-path "$root/.build-bench")
    echo "==> building nimbus (release, .build-bench; the first build takes a long while on 2 cores)" >&2
    nice -n 19 swift build "${build_flags[@]}" --product nimbus >&2
    nimbus="$(swift build "${build_flags[@]}" --show-bin-path)/nimbus"
fi
[[ -x "$nimbus" ]] || { echo "bench-server.sh: no nimbus binary at $nimbus" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-server.XXXXXX")"
home="$work/home"
mkdir -p "$home"
pids=()
stop() { # PID (one this script started): SIGTERM, SIGKILL after 10 s; then it is off the list
    local pid="$1" tries=0 kept=() other
    if kill -TERM "$pid" 2>/dev/null; then
        while kill -0 "$pid" 2>/dev/null && ((tries < 100)); do sleep 0.1; tries=$((tries + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for other in "${pids[@]}"; do [[ "$other" == "$pid" ]] || kept+=("$other"); done
    pids=(${kept[@]+"${kept[@]}"})
}
cleanup() {
    while ((${#pids[@]})); do stop "${pids[-1]}"; done
    if ((keep)); then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # URL PID LOG: until URL answers 200, or fail if PID ends
    local tries=0
    until "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; do
        if ! kill -0 "$2" 2>/dev/null || ((tries > 300)); then
            echo "bench-server.sh: $1 did not answer; the log:" >&2
            tail -30 "$3" >&2
            exit 1
        fi
        sleep 0.1
        tries=$((tries + 1))
    done
}

# moto: the one in NIMBUS_TEST_MOTO_URL, else one started here.
moto_url="${NIMBUS_TEST_MOTO_URL:-}"
if [[ -z "$moto_url" ]]; then
    moto_python=python3
    if ! python3 -c 'import moto.server' 2>/dev/null; then
        if ! "$python" -c 'import moto.server' 2>/dev/null; then
            echo "==> installing $moto_package into $venv" >&2
            "$venv/bin/pip" install --quiet --disable-pip-version-check "$moto_package" >&2
        fi
        moto_python="$python"
    fi
    port="$(free_port)"
    "$moto_python" -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
    pids+=($!)
    moto_url="http://127.0.0.1:$port"
    wait_http "$moto_url/moto-api/" "${pids[-1]}" "$work/moto.log"
fi

# Nimbus sees only this environment: its own home, moto, fake credentials, no shared AWS files.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(NIMBUS_|AWS_)')
export NIMBUS_HOME="$home" AWS_ENDPOINT_URL="$moto_url" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
# A limiter that never says no, so it does not set the pace. In the configuration file, not as
# `-c server.rate_limit=…`: ServerSettings reads the server section's numbers with intValue/doubleValue, and a
# flag (like NIMBUS_SERVER__*) is a string there, so it drops the value for the default (20/s, burst 40) and,
# taking precedence, hides the file's. Once that is mended, the flags will do too.
printf 'server:\n  rate_limit: 1000000\n  rate_burst: 1000000\n' >"$home/config.yaml"
nimbus_flags=()
uvicorn_flags=()
if ((quiet_logs)); then
    nimbus_flags+=(-c log.level=warning)
    uvicorn_flags+=(--no-access-log)
fi

key="$("$nimbus" serve keys add bench | tr -d '[:space:]')"
[[ "$key" == nmb_* ]] || { echo "bench-server.sh: 'nimbus serve keys add' printed no key" >&2; exit 1; }

nimbus_pid=""
start_nimbus() { # LOG
    nimbus_port="$(free_port)"
    "$nimbus" serve --port "$nimbus_port" ${nimbus_flags[@]+"${nimbus_flags[@]}"} >"$1" 2>&1 &
    nimbus_pid=$!
    pids+=("$nimbus_pid")
    wait_http "http://127.0.0.1:$nimbus_port/v1/health" "$nimbus_pid" "$1"
}
peer_pid=""
start_peer() { # WORKERS LOG
    peer_port="$(free_port)"
    NIMBUS_BENCH_DB="$home/nimbus.sqlite" "$venv/bin/uvicorn" fastapi_peer:app --app-dir "$bench" \
        --host 127.0.0.1 --port "$peer_port" --workers "$1" --loop uvloop --http httptools \
        ${uvicorn_flags[@]+"${uvicorn_flags[@]}"} >"$2" 2>&1 &
    peer_pid=$!
    pids+=("$peer_pid")
    wait_http "http://127.0.0.1:$peer_port/v1/health" "$peer_pid" "$2"
}
cpu_ticks() { # PID: CPU time (user + system, clock ticks) of PID and its children (uvicorn's workers)
    awk -v pid="$1" '{ sub(/^.*\) /, ""); if (FILENAME == "/proc/" pid "/stat" || $2 == pid) total += $12 + $13 }
        END { print total + 0 }' /proc/[0-9]*/stat 2>/dev/null
}
load() { # NAME URL PID: a 2 s warm-up, then the measured run into $work/NAME.wrk, PID's CPU into NAME.cpu
    wrk -t"$threads" -c"$connections" -d2s -H "Authorization: Bearer $key" "$2" >/dev/null
    local before
    before="$(cpu_ticks "$3")"
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $key" "$2" >"$work/$1.wrk"
    echo "$before $(cpu_ticks "$3") $(getconf CLK_TCK)" >"$work/$1.cpu"
}

load_before="$(uptime)"
echo "==> nimbus serve on a fresh home; seeding $seed_runs runs (POST /v1/ask against moto at $moto_url)" >&2
start_nimbus "$work/nimbus.log"
"$python" "$bench/bench_client.py" seed --url "http://127.0.0.1:$nimbus_port" --key "$key" --count "$seed_runs" \
    >"$work/seed.json"
event_loops="$(cat /proc/"$nimbus_pid"/task/*/comm 2>/dev/null | grep -c '^NIO-SGLTN' || true)"

path="/v1/runs?limit=20"
echo "==> wrk: nimbus" >&2
load nimbus "http://127.0.0.1:$nimbus_port$path" "$nimbus_pid"
grep -E '^(VmRSS|VmHWM)' /proc/"$nimbus_pid"/status >"$work/nimbus-after-load.status"

for workers in 1 2; do
    echo "==> wrk: fastapi, uvicorn --workers $workers" >&2
    start_peer "$workers" "$work/peer-$workers.log"
    if ((workers == 1)); then
        "$python" "$bench/bench_client.py" compare --nimbus "http://127.0.0.1:$nimbus_port" \
            --peer "http://127.0.0.1:$peer_port" --key "$key" >"$work/compare.json"
    fi
    load "fastapi-$workers" "http://127.0.0.1:$peer_port$path" "$peer_pid"
    stop "$peer_pid"
done

echo "==> chat socket: $chat_runs round trips" >&2
"$python" "$bench/bench_client.py" chat --url "ws://127.0.0.1:$nimbus_port/v1/chat" --key "$key" \
    --runs "$chat_runs" >"$work/chat.json"
stop "$nimbus_pid"

echo "==> memory: a fresh nimbus serve with $sockets idle chat sockets" >&2
start_nimbus "$work/nimbus-sockets.log"
"$python" "$bench/bench_client.py" hold --url "ws://127.0.0.1:$nimbus_port/v1/chat" --key "$key" \
    --sockets "$sockets" --pid "$nimbus_pid" >"$work/hold.json"
stop "$nimbus_pid"
load_after="$(uptime)"

versions="$("$python" -c '
from importlib.metadata import version
print(", ".join(f"{n} {version(n)}" for n in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools")))')"
"$python" - "$work" "$versions" "$event_loops" "$quiet_logs" "$load_before" "$load_after" \
    "$threads" "$connections" "$duration" "$path" <<'PY'
import json
import os
import re
import sys

work, versions, loops, quiet, load_before, load_after, threads, connections, duration, path = sys.argv[1:11]
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(name):
    text = open(os.path.join(work, f"{name}.wrk")).read()

    def latency(percent):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(match.group(1)) * UNITS[match.group(2)]

    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    count = int(re.search(r"(\d+) requests in", text).group(1))
    before, after, tick = map(int, open(os.path.join(work, f"{name}.cpu")).read().split())
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": requests, "p50": latency(50), "p99": latency(99), "non2xx": int(bad.group(1)) if bad else 0,
        "cpu_ms": (after - before) / tick * 1000 / max(count, 1),
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def load(name):
    return json.load(open(os.path.join(work, name)))


nimbus, one, two = wrk("nimbus"), wrk("fastapi-1"), wrk("fastapi-2")
seed, compare, chat, hold = load("seed.json"), load("compare.json"), load("chat.json"), load("hold.json")
after = dict(line.split(":") for line in open(os.path.join(work, "nimbus-after-load.status")))
after_hwm = int(after["VmHWM"].split()[0]) / 1024
mb = lambda kb: kb / 1024

print()
print(f"nimbus serve vs FastAPI ({versions}){'  [--quiet-logs]' if quiet == '1' else ''}")
print(f"GET {path} with one key, {seed['runs']} seeded runs; wrk -t{threads} -c{connections} -d{duration} "
      f"--latency after a 2 s warm-up; both servers on this machine with wrk")
match = "byte-identical" if compare["same_bytes"] else ("same JSON" if compare["same_json"] else
                                                         f"DIFFER in {', '.join(compare['differing_fields'])}")
print(f"answers: nimbus {compare['nimbus_runs']} runs, fastapi {compare['peer_runs']} runs ({match}, "
      f"{compare['nimbus_bytes']} bytes)")
print()
print(f"  {'':34}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}{'errors':>8}")
rows = [(f"nimbus ({loops} event-loop threads)", nimbus), ("fastapi, uvicorn 1 worker", one),
        ("fastapi, uvicorn 2 workers", two)]
for label, row in rows:
    print(f"  {label:34}{row['rps']:>10,.0f}{row['p50']:>9.2f}{row['p99']:>9.2f}{row['cpu_ms']:>12.2f}"
          f"{row['non2xx'] + row['socket_errors']:>8}")
for label, peer in (("ratio nimbus/fastapi (1 worker)", one), ("ratio nimbus/fastapi (2 workers)", two)):
    print(f"  {label:34}{nimbus['rps'] / peer['rps']:>9.1f}x{nimbus['p50'] / peer['p50']:>8.2f}x"
          f"{nimbus['p99'] / peer['p99']:>8.2f}x{nimbus['cpu_ms'] / peer['cpu_ms']:>11.2f}x")
print()
print(f"  chat socket round trip ({chat['runs']} x \"list all S3 buckets\" to its outcome, against moto): "
      f"p50 {chat['p50_ms']:.1f} ms, p99 {chat['p99_ms']:.1f} ms, mean {chat['mean_ms']:.1f} ms "
      f"({chat['events_per_run']:.0f} events each); the FastAPI peer has no chat")
print(f"  nimbus memory, fresh process, {hold['alive']}/{hold['sockets']} authenticated idle sockets open: "
      f"VmRSS {mb(hold['rss_kb']):.1f} MB (before them {mb(hold['rss_before_kb']):.1f} MB), "
      f"VmHWM {mb(hold['hwm_kb']):.1f} MB; of it anonymous {mb(hold['anon_kb']):.1f} MB, "
      f"file-backed (binary, libraries) {mb(hold['file_kb']):.1f} MB")
print(f"  nimbus peak RSS after the wrk run (VmHWM, the seeded process): {after_hwm:.1f} MB")
print(f"  machine: {os.cpu_count()} cores; load before: {load_before.split('load average:')[-1].strip()}, "
      f"after: {load_after.split('load average:')[-1].strip()}")

best = max((one, two), key=lambda row: row["rps"])
speed = nimbus["rps"] / best["rps"]
speed_met = speed >= 10 and nimbus["p99"] < best["p99"]
memory_met = mb(hold["hwm_kb"]) < 40 and hold["alive"] == hold["sockets"]
met = lambda ok: "MET" if ok else "MISSED"
print()
print(f"Summary: nimbus {nimbus['rps']:,.0f} req/s, {speed:.1f}x FastAPI's best ({best['rps']:,.0f}), p99 "
      f"{nimbus['p99']:.2f} vs {best['p99']:.2f} ms (>= 10x and lower p99: {met(speed_met)}); "
      f"{mb(hold['hwm_kb']):.1f} MB peak with {hold['sockets']} sockets (< 40 MB: {met(memory_met)})")
failed = [label for label, row in rows if row["non2xx"] or row["socket_errors"]]
if failed:
    print(f"warning: errors under load from {', '.join(failed)} (see the errors column)")
PY
