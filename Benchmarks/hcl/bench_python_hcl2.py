"""Times python-hcl2 on a list of files (one path per line in --files) and prints one JSON line.

With --accepted OUT, first writes the files python-hcl2 parses to OUT (untimed) and times only those, so both
sides of scripts/bench-hcl.sh measure the same set.
"""
import argparse
import json
import time
from importlib.metadata import version

import hcl2


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", required=True)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--accepted")
    args = parser.parse_args()
    with open(args.files, encoding="utf-8") as handle:
        paths = [line for line in handle.read().splitlines() if line]
    texts = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            texts.append((path, handle.read()))
    if args.accepted:
        kept = []
        for path, text in texts:
            try:
                hcl2.loads(text)
                kept.append((path, text))
            except Exception:  # noqa: BLE001 - python-hcl2 raises several exception types for bad input
                pass
        texts = kept
        with open(args.accepted, "w", encoding="utf-8") as handle:
            handle.write("\n".join(path for path, _ in texts) + "\n")
    size = sum(len(text.encode("utf-8")) for _, text in texts)
    started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(args.runs):
        for _, text in texts:
            hcl2.loads(text)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(json.dumps({
        "files": len(texts), "bytes": size, "runs": args.runs, "seconds": seconds, "cpu_seconds": cpu,
        "mb_per_s": size * args.runs / 1e6 / seconds, "cpu_mb_per_s": size * args.runs / 1e6 / cpu,
        "version": version("python-hcl2"),
    }))


if __name__ == "__main__":
    main()
