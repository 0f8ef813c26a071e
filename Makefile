PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	out=results/demo-$$(date +%Y%m%d-%H%M%S)-$$$$ && \
	$(BIN)/crisis-sim run scenarios/police_only.yaml scenarios/co_responder.yaml scenarios/peer_embedded.yaml --out $$out && \
	$(BIN)/crisis-sim report $$out

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
