#!/usr/bin/env bash
# Times `nimbus module` for every catalog family (release build, a new process per run) and, with a model, counts
# the model calls each module takes.
#
#   scripts/bench-modules.sh                  offline generation of every family, 5 runs each
#   scripts/bench-modules.sh --runs 20        more runs
#   scripts/bench-modules.sh --llm MODEL      also count model calls with MODEL (provider:model)
#   scripts/bench-modules.sh --local-llm      also count model calls with the local llama.cpp model
#                                             (scripts/local-llm.sh; started and stopped here if not running)
#
# Targets (issue 6): every family under 1 s; at most 10 model calls per module.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

args=()
local_llm=0
while (($#)); do
    case "$1" in
        --runs) args+=(--runs "$2"); shift 2 ;;
        --llm) args+=(--llm "$2"); shift 2 ;;
        --local-llm) local_llm=1; shift ;;
        -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-modules.sh: unknown argument '$1' (known: --runs N, --llm MODEL, --local-llm)" >&2; exit 2 ;;
    esac
done

echo "building nimbus (release)..." >&2
swift build -c release --product nimbus >&2
nimbus="$(swift build -c release --show-bin-path)/nimbus"

started_llm=0
if ((local_llm)); then
    if ! url="$(scripts/local-llm.sh status 2>/dev/null)"; then
        url="$(scripts/local-llm.sh start)"
        started_llm=1
    fi
    args+=(--llm "openai-compatible:$url")
fi
trap '((started_llm)) && scripts/local-llm.sh stop >/dev/null 2>&1 || true' EXIT

python3 Benchmarks/modules/bench_modules.py --nimbus "$nimbus" "${args[@]}"
