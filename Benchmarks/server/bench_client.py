#!/usr/bin/env python3
"""The client side of scripts/bench-server.sh: seeds runs, compares the two `/v1/runs` answers, times the chat
socket and holds idle sockets open while it reads the server's memory. Every subcommand prints one JSON line.

    bench_client.py seed    --url http://127.0.0.1:P --key KEY --count 50
    bench_client.py compare --nimbus http://127.0.0.1:P --peer http://127.0.0.1:Q --key KEY
    bench_client.py chat    --url ws://127.0.0.1:P/v1/chat --key KEY --runs 50
    bench_client.py hold    --url ws://127.0.0.1:P/v1/chat --key KEY --sockets 100 --pid PID

Needs `websockets` (PyPI) for chat and hold; the rest is the standard library.
"""
import argparse
import asyncio
import json
import math
import sys
import time
import urllib.error
import urllib.request

MESSAGE = "list all S3 buckets"


def percentile(values, fraction):
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def http(method, url, key, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def seed(arguments):
    started = time.perf_counter()
    states = {}
    for index in range(arguments.count):
        status, body = http("POST", f"{arguments.url}/v1/ask", arguments.key, {"text": arguments.text})
        if status != 200:
            sys.exit(f"seed: run {index + 1} answered {status}: {body[:500]!r}")
        state = json.loads(body).get("state", "?")
        states[state] = states.get(state, 0) + 1
    print(json.dumps({"runs": arguments.count, "states": states, "seconds": round(time.perf_counter() - started, 2)}))


def compare(arguments):
    path = f"/v1/runs?limit={arguments.limit}"
    answers = {}
    for side, base in (("nimbus", arguments.nimbus), ("peer", arguments.peer)):
        status, body = http("GET", base + path, arguments.key)
        if status != 200:
            sys.exit(f"compare: {side} answered {status}: {body[:500]!r}")
        answers[side] = (body, json.loads(body)["runs"])
    (nimbus_body, nimbus_runs), (peer_body, peer_runs) = answers["nimbus"], answers["peer"]
    differing = [
        key for key in sorted({k for run in nimbus_runs + peer_runs for k in run})
        if [run.get(key) for run in nimbus_runs] != [run.get(key) for run in peer_runs]
    ]
    print(json.dumps({
        "nimbus_runs": len(nimbus_runs), "peer_runs": len(peer_runs),
        "nimbus_bytes": len(nimbus_body), "peer_bytes": len(peer_body),
        "same_bytes": nimbus_body == peer_body, "same_json": nimbus_runs == peer_runs,
        "differing_fields": differing, "fields": sorted(nimbus_runs[0]) if nimbus_runs else [],
    }))


async def authenticate(socket, key):
    await socket.send(json.dumps({"type": "auth", "key": key}))
    reply = json.loads(await socket.recv())
    if reply.get("type") != "ready":
        raise RuntimeError(f"auth answered {reply}")


async def one_turn(socket):
    """Sends the message; the seconds until its outcome, and how many events came before it."""
    started = time.perf_counter()
    await socket.send(json.dumps({"type": "message", "text": MESSAGE}))
    events = 0
    while True:
        reply = json.loads(await socket.recv())
        kind = reply.get("type")
        if kind == "outcome":
            return time.perf_counter() - started, events
        if kind == "event":
            events += 1
            continue
        raise RuntimeError(f"expected events and an outcome, got {reply}")


async def chat(arguments):
    from websockets.asyncio.client import connect

    async with connect(arguments.url, max_size=1 << 22) as socket:
        await authenticate(socket, arguments.key)
        for _ in range(arguments.warmup):
            await one_turn(socket)
        times, events = [], 0
        for _ in range(arguments.runs):
            seconds, count = await one_turn(socket)
            times.append(seconds * 1000)
            events += count
    print(json.dumps({
        "runs": len(times), "p50_ms": round(percentile(times, 0.50), 2), "p99_ms": round(percentile(times, 0.99), 2),
        "mean_ms": round(sum(times) / len(times), 2), "max_ms": round(max(times), 2),
        "events_per_run": round(events / len(times), 1),
    }))


def memory(pid):
    """VmRSS, VmHWM, RssAnon and RssFile of `pid`, in kB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                values[name] = int(rest.split()[0])
    return values


async def hold(arguments):
    from websockets.asyncio.client import connect

    before = memory(arguments.pid)
    sockets = []
    try:
        for _ in range(arguments.sockets):
            socket = await connect(arguments.url)
            sockets.append(socket)
        await asyncio.gather(*(authenticate(socket, arguments.key) for socket in sockets))
        # Idle and authenticated; sample the resident set while they stay open.
        peak_rss = 0
        for _ in range(int(arguments.seconds * 10)):
            peak_rss = max(peak_rss, memory(arguments.pid)["VmRSS"])
            await asyncio.sleep(0.1)
        # Every socket still answers.
        for socket in sockets:
            await socket.send(json.dumps({"type": "ping"}))
        replies = await asyncio.gather(*(socket.recv() for socket in sockets))
        alive = sum(json.loads(reply).get("type") == "pong" for reply in replies)
        held = memory(arguments.pid)
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    print(json.dumps({
        "sockets": len(sockets), "alive": alive, "rss_before_kb": before["VmRSS"], "rss_kb": held["VmRSS"],
        "peak_rss_sampled_kb": max(peak_rss, held["VmRSS"]), "hwm_kb": held["VmHWM"],
        "anon_kb": held["RssAnon"], "file_kb": held["RssFile"],
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("seed")
    command.add_argument("--url", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--count", type=int, default=50)
    command.add_argument("--text", default=MESSAGE)
    command = commands.add_parser("compare")
    command.add_argument("--nimbus", required=True)
    command.add_argument("--peer", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--limit", type=int, default=20)
    command = commands.add_parser("chat")
    command.add_argument("--url", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--runs", type=int, default=50)
    command.add_argument("--warmup", type=int, default=3)
    command = commands.add_parser("hold")
    command.add_argument("--url", required=True)
    command.add_argument("--key", required=True)
    command.add_argument("--sockets", type=int, default=100)
    command.add_argument("--pid", type=int, required=True)
    command.add_argument("--seconds", type=float, default=2.0)
    arguments = parser.parse_args()
    if arguments.command == "seed":
        seed(arguments)
    elif arguments.command == "compare":
        compare(arguments)
    elif arguments.command == "chat":
        asyncio.run(chat(arguments))
    else:
        asyncio.run(hold(arguments))


if __name__ == "__main__":
    main()
