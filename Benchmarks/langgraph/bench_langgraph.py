"""The NimbusGraph benchmark scenarios on LangGraph, for a side-by-side comparison.

Builds the same three graphs as Benchmarks/Sources/GraphScenarios, times them the same way
(warm-up, then one timer per run) and prints one JSON line per scenario in the shape that
graph-compare prints. scripts/bench-graph.sh runs both and makes the table.

    python bench_langgraph.py [--scenario NAME ...] [--runs N] [--loop-runs N] [--warmup N]
                              [--postgres-url URL]

With --postgres-url the loop checkpoints into PostgreSQL (langgraph-checkpoint-postgres) instead of SQLite.
"""

from __future__ import annotations

import argparse
import json
import operator
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

SCENARIOS = ("chain3", "fanout5_join", "loop10_sqlite")
FAN_OUT_WORKERS = ("w1", "w2", "w3", "w4", "w5")
LOOP_TARGET = 10


class CheckFailure(Exception):
    """A run's final state is not what the graph must produce."""


# 1. Chain ---------------------------------------------------------------------------------------


class ChainState(TypedDict):
    trail: Annotated[list[str], operator.add]


def make_chain_graph():
    builder = StateGraph(ChainState)

    def node(name):
        return lambda state: {"trail": [name]}

    for name in ("a", "b", "c"):
        builder.add_node(name, node(name))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", END)
    return builder.compile()


def check_chain(state):
    if state["trail"] != ["a", "b", "c"]:
        raise CheckFailure(f"chain3: trail is {state['trail']}, expected ['a', 'b', 'c']")


# 2. Fan-out and join ----------------------------------------------------------------------------


class FanOutState(TypedDict):
    topic: str
    results: Annotated[list[str], operator.add]
    joined: int


def make_fan_out_graph():
    builder = StateGraph(FanOutState)
    builder.add_node("fan", lambda state: {"topic": "bench"})

    def worker(name):
        return lambda state: {"results": [f"{name}:{state['topic']}"]}

    for name in FAN_OUT_WORKERS:
        builder.add_node(name, worker(name))
        builder.add_edge("fan", name)
    builder.add_node("join", lambda state: {"joined": len(state["results"])})
    builder.add_edge(START, "fan")
    # A waiting edge: join runs once all five workers have finished.
    builder.add_edge(list(FAN_OUT_WORKERS), "join")
    builder.add_edge("join", END)
    return builder.compile()


def check_fan_out(state):
    expected = [f"{name}:bench" for name in FAN_OUT_WORKERS]
    if sorted(state["results"]) != expected or state["joined"] != 5 or state["topic"] != "bench":
        raise CheckFailure(f"fanout5_join: wrong final state {state}")


# 3. Loop with SQLite checkpoints ----------------------------------------------------------------


class LoopState(TypedDict):
    count: int


def make_loop_graph(saver):
    builder = StateGraph(LoopState)
    builder.add_node("inc", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "inc")
    builder.add_conditional_edges(
        "inc", lambda state: "inc" if state["count"] < LOOP_TARGET else END, ["inc", END]
    )
    return builder.compile(checkpointer=saver)


def check_loop(state):
    if state["count"] != LOOP_TARGET:
        raise CheckFailure(f"loop10_sqlite: count is {state['count']}, expected {LOOP_TARGET}")


# Timing -----------------------------------------------------------------------------------------


def measure(runs, warmup, body):
    """Runs body(run) warmup times untimed, then runs times with one timer each; returns nanoseconds."""
    for run in range(warmup):
        body(run)
    timings = []
    started = time.perf_counter_ns()
    for run in range(warmup, warmup + runs):
        start = time.perf_counter_ns()
        body(run)
        timings.append(time.perf_counter_ns() - start)
    return timings, time.perf_counter_ns() - started


def run_chain(runs, warmup):
    graph = make_chain_graph()
    return measure(runs, warmup, lambda run: check_chain(graph.invoke({"trail": []})))


def run_fan_out(runs, warmup):
    graph = make_fan_out_graph()
    return measure(
        runs, warmup, lambda run: check_fan_out(graph.invoke({"topic": "", "results": [], "joined": 0}))
    )


def time_loop(saver, runs, warmup):
    """Times the loop on `saver`; checks the last run's thread really reached the store (its newest checkpoint
    holds the final count, with every step's checkpoint before it)."""
    graph = make_loop_graph(saver)

    def body(run):
        config = {"configurable": {"thread_id": f"run-{run}"}}
        check_loop(graph.invoke({"count": 0}, config))

    result = measure(runs, warmup, body)
    last = {"configurable": {"thread_id": f"run-{warmup + runs - 1}"}}
    stored = graph.get_state(last).values
    history = list(graph.get_state_history(last))
    if stored.get("count") != LOOP_TARGET or len(history) < LOOP_TARGET + 1:
        raise CheckFailure(f"loop10: stored thread has {stored} and {len(history)} checkpoints")
    return result


def run_loop(runs, warmup, postgres_url=None):
    if postgres_url:
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg import Connection
        from psycopg.rows import dict_row

        # As langgraph-checkpoint-postgres's documentation opens it: autocommit, dict rows.
        with Connection.connect(
            postgres_url, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as connection:
            saver = PostgresSaver(connection)
            saver.setup()
            return time_loop(saver, runs, warmup)
    with tempfile.TemporaryDirectory(prefix="langgraph-bench-") as directory:
        connection = sqlite3.connect(str(Path(directory) / "checkpoints.sqlite"), check_same_thread=False)
        try:
            return time_loop(SqliteSaver(connection), runs, warmup)
        finally:
            connection.close()


def json_line(scenario, timings, total_ns):
    ordered = sorted(timings)

    def percentile(p):
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] / 1000 if ordered else 0.0

    return json.dumps(
        {
            "impl": "langgraph",
            "scenario": scenario,
            "runs": len(timings),
            "us_per_run": round(sum(timings) / max(1, len(timings)) / 1000, 3),
            "p50_us": round(percentile(0.5), 3),
            "p99_us": round(percentile(0.99), 3),
            "wall_s": round(total_ns / 1e9, 3),
            # Linux reports ru_maxrss in kilobytes.
            "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="default: all")
    parser.add_argument("--runs", type=int, default=2000, help="timed runs of chain3 and fanout5_join")
    parser.add_argument("--loop-runs", type=int, default=200, help="timed runs of loop10_sqlite")
    parser.add_argument("--warmup", type=int, default=100, help="untimed runs first (a tenth for the loop)")
    parser.add_argument("--postgres-url", help="checkpoint the loop in this PostgreSQL database")
    args = parser.parse_args(argv)
    runners = {
        "chain3": lambda: run_chain(args.runs, args.warmup),
        "fanout5_join": lambda: run_fan_out(args.runs, args.warmup),
        "loop10_sqlite": lambda: run_loop(args.loop_runs, max(1, args.warmup // 10), args.postgres_url),
    }
    for scenario in args.scenario or SCENARIOS:
        timings, total_ns = runners[scenario]()
        print(json_line(scenario, timings, total_ns), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
