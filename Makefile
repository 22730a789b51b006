# The two commands (see README):
#   make demo   set everything up and reconcile examples/homelab onto the local Docker engine
#   make test   set everything up and run the whole test suite (what CI runs)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/.testbed/bin:$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test unit lint bench setup testbed-up testbed-down status

setup:
	scripts/bootstrap

testbed-up: setup
	scripts/testbed up

testbed-down:
	scripts/testbed down

status:
	scripts/testbed status

demo: setup
	scripts/testbed up packages compose docker image
	DOCKER_HOST=$$(scripts/testbed env | sed -n 's/^export DOCKER_HOST=//p') \
	  $(VENV)/bin/fleetflow reconcile examples/homelab

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: setup
	$(PY) -m pytest -m unit -q

test: testbed-up lint
	scripts/testbed status
	$(PY) -m pytest

bench: testbed-up
	$(PY) -m benchmarks
