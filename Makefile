PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo peer-value test bench app baseline docs notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,app]'
	touch $(STAMP)

demo: $(STAMP)
	out=results/demo-$$(date +%Y%m%d-%H%M%S)-$$$$ && \
	$(BIN)/crisis-sim run scenarios/police_only.yaml scenarios/co_responder.yaml scenarios/peer_embedded.yaml --out $$out && \
	$(BIN)/crisis-sim report $$out

peer-value: $(STAMP)
	out=results/peer-value-$$(date +%Y%m%d-%H%M%S)-$$$$ && \
	$(BIN)/crisis-sim run scenarios/peer_embedded.yaml scenarios/peer_value/no_peer.yaml \
		scenarios/peer_value/no_follow_up.yaml --baseline peer_embedded --out $$out && \
	$(BIN)/crisis-sim report $$out

test: $(STAMP)
	$(BIN)/python -m pytest -q

app: $(STAMP)
	$(BIN)/crisis-sim app

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Regenerate the committed regression baseline on purpose (say in the commit which metrics moved and why).
baseline: $(STAMP)
	$(BIN)/python tests/regression_baseline.py

# Rewrite the metric tables in docs/metrics.md from the metric catalogue.
docs: $(STAMP)
	$(BIN)/python -c "from sim.analysis.catalogue import write_metrics_doc; write_metrics_doc('docs/metrics.md')"

# JupyterLab, to open the notebooks (the tests run them without it).
notebooks: $(STAMP)
	$(BIN)/python -m pip install --quiet 'jupyterlab>=4.0'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
