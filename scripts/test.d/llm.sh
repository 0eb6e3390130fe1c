# NimbusLLM tests: a real model behind the OpenAI-compatible provider (llama.cpp server + SmolLM2-135M-Instruct).
# Sourced by scripts/test.sh. The first run builds llama-cpp-python from source (minutes); later runs reuse the
# virtual environment, or pip's cached wheel on a machine that has one.

nimbus_llm_started_server=0

nimbus_test_setup_llm() {
    local url
    if url="$(scripts/local-llm.sh status 2>/dev/null)"; then
        echo "local model already running at $url" >&2
    else
        url="$(scripts/local-llm.sh start)"
        nimbus_llm_started_server=1
    fi
    export NIMBUS_TEST_LLM_URL="$url"
}

nimbus_test_teardown_llm() {
    if [ "$nimbus_llm_started_server" = 1 ]; then
        scripts/local-llm.sh stop || true
    fi
}
