# The README's contract: on a fresh Debian machine (root), `make demo` and `make test` do all
# set-up (virtualenv, packages, Docker engine, gVisor, images, data) and then their job.
# Every step is idempotent: a second call finds everything in place and goes straight on.

VENV     := .venv
PY       := $(VENV)/bin/python
SENTINEL := $(VENV)/bin/sentinel
# The venv is rebuilt when the dependency declarations change.
STAMP    := $(VENV)/.installed-$(shell cat pyproject.toml setup.py | sha256sum | cut -c1-12)

.PHONY: setup demo test lint clean-runs

$(STAMP): pyproject.toml setup.py scripts/setup-venv.sh
	scripts/setup-venv.sh $(VENV)
	touch $(STAMP)

setup: $(STAMP)
	$(SENTINEL) doctor --fix

# A whole campaign in about a minute on 2 cores (under 5 minutes with other load): six runs
# spent in full, a run the in-loop monitor rescues, one escalation to tier 2, then the dashboard.
demo: setup
	$(SENTINEL) campaign run demo:showcase

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: setup lint
	scripts/setup-browser.sh
	$(VENV)/bin/pytest -q

clean-runs:
	rm -rf runs/
