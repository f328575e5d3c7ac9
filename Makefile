# wijkhub — the two commands: `make demo` and `make test`.
# Both set up a local virtualenv, start a local Kafka broker unless KAFKA_BOOTSTRAP_SERVERS
# points at a cluster, and stop what they started, also on failure or Ctrl-C.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
WITH_KAFKA := deploy/local/with-kafka.sh
PREREQS := VENV=$(VENV) deploy/local/prerequisites.sh
# the virtualenv's tools first (and its Java, where prerequisites.sh had to take it from PyPI)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv test demo check lint typecheck pytest unit bench kafka-start kafka-stop clean

test: $(STAMP)
	@$(PREREQS) test
	$(WITH_KAFKA) $(MAKE) --no-print-directory check

demo: $(STAMP)
	@$(PREREQS) demo
	$(WITH_KAFKA) $(PY) deploy/local/demo.py

# the environment only: .venv with wijkhub and its development tools
venv: $(STAMP)

check: lint typecheck pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest

# fast feedback without a broker
unit: $(STAMP)
	$(PY) -m pytest tests/unit

bench: $(STAMP)
	@$(PREREQS) demo
	$(PY) -m pip install --quiet -e '.[bench]'
	$(WITH_KAFKA) $(PY) -m bench

kafka-start: $(STAMP)
	@$(PREREQS) demo
	deploy/local/kafka.sh start

kafka-stop:
	deploy/local/kafka.sh stop

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .wijkhub
