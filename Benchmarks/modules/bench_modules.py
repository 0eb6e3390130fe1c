#!/usr/bin/env python3
"""Times `nimbus module` end to end for every catalog family, and counts model calls per module.

Run by scripts/bench-modules.sh with a release build of nimbus. Each generation is a fresh process with its own
NIMBUS_HOME, exactly as a user runs it: start, open the store, plan, generate, validate, write, exit.
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time


def run(nimbus, home, arguments):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_")}
    environment["NIMBUS_HOME"] = home
    started = time.perf_counter()
    result = subprocess.run([nimbus, *arguments], env=environment, capture_output=True, text=True)
    return time.perf_counter() - started, result


def family_request(family):
    """The family's first keyword, with every question answered by its first choice."""
    answers = []
    for question in family["questions"]:
        answers += ["--answer", f"{question['key']}={question['choices'][0]}"]
    return family["keywords"][0], answers


def model_calls(home):
    database = os.path.join(home, "nimbus.sqlite")
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM agent_executions").fetchone()[0]


# Modules of several families (issue 13): each is one module, wired.
COMPOSED_REQUESTS = [
    ("ecs+alb", "ECS Fargate service behind an application load balancer", []),
    ("ecs+alb+vpc", "ECS Fargate service behind a public application load balancer in a new VPC", []),
    ("rds+vpc", "RDS database in a new VPC", ["--answer", "engine=postgres"]),
    ("lambda+vpc", "Lambda function in its own VPC", []),
    ("eks+vpc", "EKS cluster in a new VPC with a NAT gateway", []),
    ("s3+dynamodb", "an S3 bucket and a DynamoDB table", []),
    ("s3+sqs", "S3 bucket with an SQS queue for its events", []),
    ("s3+lambda", "an S3 bucket whose events trigger a Lambda function", []),
    ("apigw+lambda", "API behind API Gateway and Lambda", []),
    ("waf+alb", "a WAF web ACL in front of a public application load balancer", []),
    ("acm+route53", "an ACM certificate validated in a new Route 53 hosted zone", ["--answer", "zone=public"]),
    ("aurora+vpc", "an Aurora cluster in a new VPC", ["--answer", "engine=postgres"]),
    ("sized rds", "a production postgres RDS database on db.r6g.large with 100 GB called orders-db", []),
]


def bench_offline(nimbus, runs):
    with tempfile.TemporaryDirectory() as scratch:
        _, listing = run(nimbus, scratch, ["module", "catalog", "--output", "json"])
        families = json.loads(listing.stdout)
    items = [(family["id"], *family_request(family)) for family in families] + COMPOSED_REQUESTS
    print(f"Offline generation, release build, {runs} runs per module (a new process each run); "
          "`hcl validate` (the provider schema check included) timed on each written module")
    print(f"{'module':<18} {'request':<28} {'files':>5} {'findings':>8} {'median':>9} {'max':>9} {'validate':>9}"
          "  target < 1 s")
    worst = 0.0
    failures = 0
    for ident, request, answers in items:
        times = []
        validations = []
        files = findings = "-"
        for index in range(runs):
            with tempfile.TemporaryDirectory() as scratch:
                out = os.path.join(scratch, "module")
                elapsed, result = run(
                    nimbus, os.path.join(scratch, "home"),
                    ["module", request, "--out", out, "--offline", "--output", "json", *answers])
                if result.returncode != 0:
                    print(f"{ident:<18} FAILED: {result.stderr.strip()[:300]}")
                    failures += 1
                    break
                times.append(elapsed)
                outcome = json.loads(result.stdout)
                files = sum(1 for op in outcome["written"]["operations"] if op["kind"] in ("created", "replaced"))
                findings = len(outcome["report"]["findings"])
                checked, validation = run(nimbus, os.path.join(scratch, "home"), ["hcl", "validate", out])
                if validation.returncode != 0:
                    print(f"{ident:<18} hcl validate FAILED: {validation.stdout.strip()[:300]}")
                    failures += 1
                    break
                validations.append(checked)
        if not times:
            continue
        median = statistics.median(times)
        worst = max(worst, max(times))
        validate = f"{statistics.median(validations) * 1000:>7.0f}ms" if validations else f"{'-':>9}"
        print(f"{ident:<18} {request[:28]:<28} {files:>5} {findings:>8} {median * 1000:>7.0f}ms "
              f"{max(times) * 1000:>7.0f}ms {validate}  {'met' if max(times) < 1 else 'MISSED'}")
    print(f"slowest single run: {worst * 1000:.0f} ms ({'every module under 1 s' if worst < 1 else 'target missed'})")
    return failures


MODEL_REQUESTS = [
    ("catalog, grammar", "s3 bucket with versioning and KMS encryption"),
    ("catalog, free-form", "somewhere durable to keep our nightly database exports, keeping old copies"),
    ("catalog, free-form", "a queue for order events with a place for messages that keep failing"),
    ("beyond the catalog", "an Amazon MQ broker for the order service"),
]


def bench_model(nimbus, model):
    print()
    print(f"Model calls per module with {model} (budget {10})")
    print(f"{'kind':<20} {'status':<12} {'calls':>5} {'seconds':>8}  request")
    failures = 0
    for kind, request in MODEL_REQUESTS:
        with tempfile.TemporaryDirectory() as scratch:
            home = os.path.join(scratch, "home")
            elapsed, result = run(
                nimbus, home,
                ["module", request, "--out", os.path.join(scratch, "m"), "--llm", model, "--output", "json", "--yes"])
            calls = model_calls(home)
            if result.returncode in (0, 1, 2) and result.stdout.strip().startswith("{"):
                status = json.loads(result.stdout)["status"]
                if result.returncode == 1:
                    status = "not written"
            else:
                status = "error"
                print(f"  ({result.stderr.strip().splitlines()[-1][:200] if result.stderr.strip() else 'no output'})")
            if calls > 10:
                failures += 1
            print(f"{kind:<20} {status:<12} {calls:>5} {elapsed:>8.1f}  {request}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nimbus", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--llm", help="also count model calls with this model (provider:model)")
    arguments = parser.parse_args()
    failures = bench_offline(arguments.nimbus, arguments.runs)
    if arguments.llm:
        failures += bench_model(arguments.nimbus, arguments.llm)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
