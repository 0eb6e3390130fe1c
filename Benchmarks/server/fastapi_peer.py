#!/usr/bin/env python3
"""The FastAPI peer of `nimbus serve` for scripts/bench-server.sh: `GET /v1/runs` over the same SQLite store.

It opens Nimbus's own `nimbus.sqlite` read-only (NIMBUS_BENCH_DB names the file), checks
`Authorization: Bearer KEY` the way Nimbus does (the SHA-256 hex digest of the key looked up in `api_keys`,
live when `revoked_at IS NULL`, compared again in constant time), and answers `GET /v1/runs?limit=&status=`
with the rows and fields of Nimbus's `listRuns` (Sources/NimbusServer/ServerRoutes.swift): it reads twice
`limit` rows of the `thread_states` view newest first, decodes each row's `interrupts` and `metadata` JSON as
Nimbus does, drops subgraph threads (a parent and not paused), and maps the graph to its product name. The body
is the same JSON, keys sorted and compact, so the two answers can be compared byte for byte.

Written the fast way a FastAPI user would: `async def` handlers (no thread-pool hop), one connection per worker
process made at start-up, the body serialized once and returned as a plain `Response` (no `jsonable_encoder`).

    NIMBUS_BENCH_DB=$NIMBUS_HOME/nimbus.sqlite uvicorn fastapi_peer:app --app-dir Benchmarks/server --port 8001
"""
import hashlib
import hmac
import json
import os
import sqlite3
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.responses import Response

# The graph each product of the standard catalog runs (NimbusHost.standardCatalog).
PRODUCTS = {"sample-report": "sample", "terraform-module": "modules", "ops-ask": "ops"}
STATUSES = {"running", "interrupted", "paused", "completed", "failed", "cancelled"}  # RunStatus


def _connect():
    path = os.environ["NIMBUS_BENCH_DB"]
    # Read-only: the Nimbus server owns the file (WAL mode; its -shm file exists while it runs).
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


db = _connect()
app = FastAPI(title="nimbus-peer", docs_url=None, redoc_url=None, openapi_url=None)


def _json(value, status=200):
    body = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Response(content=body, status_code=status, media_type="application/json")


def _error(status, code, kind, message, hint):
    return _json({"error": {"code": code, "kind": kind, "message": message, "hint": hint}}, status)


def _unauthorized(message, hint):
    return _error(401, "server.unauthorized", "unauthorized", message, hint)


def _bad_request(message):
    return _error(400, "server.bad_request", "invalid_input", message, None)


def _authenticate(request):
    """The key's row, or an error response."""
    header = request.headers.get("authorization")
    if header is None or not header.lower().startswith("bearer "):
        return None, _unauthorized(
            "this route needs an API key", "send the key as a bearer token in the Authorization header")
    secret = header[len("bearer "):].strip()
    if not secret.startswith("nmb_") or len(secret) >= 200:
        return None, _unauthorized("the API key is not valid (unknown or revoked)", None)
    digest = hashlib.sha256(secret.encode()).hexdigest()
    row = db.execute(
        "SELECT name, digest, read_only FROM api_keys WHERE digest = ? AND revoked_at IS NULL", (digest,)
    ).fetchone()
    if row is None or not hmac.compare_digest(row["digest"], digest):
        return None, _unauthorized("the API key is not valid (unknown or revoked)", None)
    return row, None


def _time(seconds):
    # Foundation's `.iso8601` format: UTC, whole seconds.
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _limit(request):
    text = request.query_params.get("limit")
    if text is None:
        return 50
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 500:
        raise ValueError(f"limit must be a whole number from 1 to 500, not '{text}'")
    return value


@app.get("/v1/runs")
async def list_runs(request: Request):
    _, failure = _authenticate(request)
    if failure is not None:
        return failure
    try:
        limit = _limit(request)
    except ValueError as error:
        return _bad_request(str(error))
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        return _bad_request(f"'{status}' is not a run status")
    if status is None:
        rows = db.execute(
            "SELECT * FROM thread_states ORDER BY updated_at DESC, thread_id DESC LIMIT ?", (limit * 2,)
        ).fetchall()
    else:
        rows = db.execute(
            "SELECT * FROM thread_states WHERE status = ? ORDER BY updated_at DESC, thread_id DESC LIMIT ?",
            (status, limit * 2),
        ).fetchall()
    runs = []
    for row in rows:
        try:
            interrupts = json.loads(row["interrupts"])
            json.loads(row["metadata"])  # Nimbus decodes it too (ThreadRecord.metadata)
            if row["status"] not in STATUSES:
                raise ValueError(f"unknown status '{row['status']}'")
        except ValueError as error:
            runs.append({"thread_id": row["thread_id"], "problem": str(error)})
            continue
        # Subgraph threads belong to their parent run.
        if row["parent_thread_id"] is not None and row["status"] != "paused":
            continue
        runs.append({
            "thread_id": row["thread_id"],
            "product": PRODUCTS.get(row["graph"], row["graph"]),
            "status": row["status"],
            "step": int(row["step"]),
            "questions": len(interrupts),
            "error": row["error"],
            "created_at": _time(row["created_at"]),
            "updated_at": _time(row["updated_at"]),
        })
    return _json({"runs": runs[:limit]})


@app.get("/v1/health")
async def health():
    return _json({"status": "ok", "version": "peer"})
