# effortnlp: every target installs what it needs into .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: install demo test model data eval bench lint screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

## Score the bundled sample dump with the bundled model, then explain its highest-effort ticket.
demo: install
	@mkdir -p $(OUT)
	$(VENV)/bin/effortnlp score data/sample/tickets.jsonl -o $(OUT)/sample-scored.csv
	@echo "wrote $(OUT)/sample-scored.csv"; echo
	$(VENV)/bin/effortnlp explain data/sample/tickets.jsonl --worst

test: install
	$(PY) -m pytest -q

## Regenerate the synthetic training data and retrain the bundled model (deterministic).
data: install
	$(PY) -m effortnlp.synthetic -n 300 --seed 1 -o data/sample/tickets.jsonl
	$(PY) -m effortnlp.synthetic -n 4000 --seed 2024 -o data/train/tickets.jsonl

model: data
	$(PY) -m effortnlp.bundled

## Marker precision/recall/F1 and CES Spearman on ../shared/data/real (skips when absent).
eval: install
	$(PY) -m effortnlp.realeval

bench: install
	$(PY) -m effortnlp.bench

## Render a ticket explanation and the dump report from the sample, screenshot both into docs/ (headless Chromium).
screenshots: install
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }
	$(PY) scripts/screenshots.py --chromium /usr/bin/chromium -o docs

lint: install
	$(VENV)/bin/ruff check effortnlp tests

clean:
	rm -rf $(OUT) .pytest_cache
