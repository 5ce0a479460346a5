# ecs_webstack: the two commands of the README and the targets behind them.
#   make deploy-local   deploy the stack to the local emulators (moto + Atlas stand-in)
#   make test           every test the project has
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)

# The collection must sit under .../ansible_collections/stackops/ecs_webstack for
# ansible, molecule and ansible-lint to resolve stackops.ecs_webstack.* names.
COLLECTIONS_DIR := $(CURDIR)/.build/collections
LINK := $(COLLECTIONS_DIR)/ansible_collections/stackops/ecs_webstack
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

# Tests use their own emulator ports and state so they never touch a local deploy; the adversarial
# front (tools/emulators/aws_front.py) stands before their moto for the real-account tier.
TEST_ENV := WEBSTACK_MOTO_PORT=5065 WEBSTACK_ATLAS_PORT=5066 WEBSTACK_FRONT_PORT=5067 WEBSTACK_RUN_DIR=$(CURDIR)/.run/test
CTL := $(BIN)/python tools/emulators/ctl.py
INVENTORY ?= inventories/local
MOLECULE_SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: help venv collection-link emulators-up emulators-down emulators-reset deploy-local \
        status-local destroy-local test test-unit lint sanity molecule test-integration build \
        benchmarks clean

help:
	@echo "make deploy-local   deploy to the local emulators (creates .venv, starts moto + Atlas stand-in)"
	@echo "make test           unit tests, ansible-lint, ansible-test sanity, molecule, integration"
	@echo "make status-local | destroy-local | emulators-up | emulators-down | build | benchmarks"

$(STAMP): requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

collection-link:
	@mkdir -p $(dir $(LINK))
	@ln -sfn $(CURDIR) $(LINK)

emulators-up: $(STAMP)
	$(CTL) start

emulators-down:
	@test -x $(BIN)/python && $(CTL) stop || true

emulators-reset: $(STAMP)
	$(CTL) reset

deploy-local: $(STAMP) collection-link emulators-up
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/deploy.yml $(ARGS)

status-local: $(STAMP) collection-link emulators-up
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/status.yml $(ARGS)

destroy-local: $(STAMP) collection-link emulators-up
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/destroy.yml -e webstack_destroy_confirm=yes $(ARGS)

test: $(STAMP) collection-link
	$(MAKE) test-unit lint sanity
	$(TEST_ENV) $(CTL) start
	trap '$(TEST_ENV) $(CTL) stop' EXIT; \
	  $(MAKE) molecule test-integration

test-unit: $(STAMP) collection-link
	$(BIN)/python -m pytest tests/unit -q

lint: $(STAMP) collection-link
	$(BIN)/ansible-lint --profile production

sanity: $(STAMP)
	bash tools/sanity.sh

# Molecule keeps a scenario's state (e.g. "prepared") between runs of the same checkout and would
# skip prepare on an emptied emulator: every run starts from a clean state.
molecule: $(STAMP) collection-link
	cd $(LINK) && for s in $(MOLECULE_SCENARIOS); do \
	  rm -rf $(HOME)/.ansible/tmp/molecule.*.$$s; \
	  $(TEST_ENV) $(CTL) reset; \
	  $(TEST_ENV) $(BIN)/molecule test -s $$s || exit 1; \
	done

test-integration: $(STAMP) collection-link
	@if ls tests/integration/*/test_*.py >/dev/null 2>&1; then \
	  $(TEST_ENV) $(BIN)/python -m pytest tests/integration -q; \
	else echo "no integration tests yet"; fi

build: $(STAMP)
	mkdir -p .build/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

benchmarks: $(STAMP) collection-link
	@for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean: emulators-down
	rm -rf .build .run tests/output
