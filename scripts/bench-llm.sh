#!/usr/bin/env bash
# NimbusLLM benchmarks: streaming overhead against a raw HTTP request to the same llama.cpp server (time to first
# token and total, interleaved runs, target within 5 %), and SSE parsing throughput on a large generated stream.
#
#   scripts/bench-llm.sh              10 interleaved runs per side, 60 tokens, a 16 MB stream
#   scripts/bench-llm.sh --quick      4 runs, a 4 MB stream
#
# Starts the local model (scripts/local-llm.sh) if it is not running, and stops it again if it started it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
args=(--runs 10 --stream-mb 16)
if [ "${1:-}" = "--quick" ]; then args=(--runs 4 --stream-mb 4); fi

started=0
if ! url="$(scripts/local-llm.sh status 2>/dev/null)"; then
    url="$(scripts/local-llm.sh start)"
    started=1
fi
cleanup() { if [ "$started" = 1 ]; then scripts/local-llm.sh stop; fi; }
trap cleanup EXIT

echo "==> building llm-bench (release)" >&2
swift build -c release --package-path Benchmarks --product llm-bench >&2
bin="$(swift build -c release --package-path Benchmarks --show-bin-path)"
"$bin/llm-bench" --url "$url" "${args[@]}"
