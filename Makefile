# ecs_webstack: the two commands of the README and the targets behind them.
#   make deploy-local   deploy the stack to the local emulators (moto + Atlas stand-in), tasks as containers
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
# make test runs in parallel lanes, each with emulators of its own (no lane resets another's account):
# the static checks; the molecule scenarios in MOLECULE_LANES lanes (tools/molecule_lanes.py, ports from
# 5300); the integration tests in TEST_WORKERS pytest-xdist workers (tests/integration/conftest.py, ports
# from 5200). A third of the serial time is waiting (emulator windows, rollouts, retry back-off), which the
# lanes fill; TEST_WORKERS=0 MOLECULE_LANES=1 runs everything one after the other.
TEST_WORKERS ?= 2
MOLECULE_LANES ?= 2
CTL := $(BIN)/python tools/emulators/ctl.py
INVENTORY ?= inventories/local

.PHONY: help venv collection-link system-packages emulators-up emulators-down emulators-reset deploy-local \
        status-local destroy-local test test-checks images test-unit lint sanity molecule test-integration \
        build benchmarks clean

help:
	@echo "make deploy-local   deploy to the local emulators, every task a container; prints the site's address"
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

# The local stack runs for real: every ECS task a podman container (WEBSTACK_ECS_TASKS=containers), Redis
# a redis-server container, the VPC resolver answering from Cloud Map, and the site on 127.0.0.1:SITE_PORT
# (forwarded to the frontend's public task). Tests use the fast mode, instant, unless they need tasks.
SITE_PORT ?= 5080
LOCAL_ENV := WEBSTACK_ECS_TASKS=containers WEBSTACK_SITE_PORT=$(SITE_PORT)

system-packages:
	bash tools/system_packages.sh containers

emulators-up: $(STAMP) system-packages
	$(LOCAL_ENV) $(CTL) start

emulators-down:
	@test -x $(BIN)/python && $(CTL) stop || true

emulators-reset: $(STAMP)
	$(CTL) reset

deploy-local: $(STAMP) collection-link images emulators-up
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/deploy.yml $(ARGS)
	$(BIN)/python tools/site_check.py --url http://127.0.0.1:$(SITE_PORT)

status-local: $(STAMP) collection-link emulators-up
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/status.yml $(ARGS)

destroy-local: $(STAMP) collection-link emulators-up
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/destroy.yml -e webstack_destroy_confirm=yes $(ARGS)

test: $(STAMP) collection-link images
	bash tools/system_packages.sh test
	$(MAKE) --no-print-directory -j3 --output-sync=target test-checks molecule test-integration

# The checks that need no emulator, one after the other (one lane of make test).
test-checks: $(STAMP) collection-link
	$(MAKE) --no-print-directory -j1 test-unit lint sanity

# The local images (sample_app/, built FROM a debootstrapped Debian base: no registry here; cached).
images: $(STAMP) system-packages
	$(BIN)/python tools/containers/images.py all

test-unit: $(STAMP) collection-link
	$(BIN)/python -m pytest tests/unit -q

lint: $(STAMP) collection-link
	$(BIN)/ansible-lint --profile production

sanity: $(STAMP)
	bash tools/sanity.sh

# Every scenario (or SCENARIOS="ecr network"), each from a clean molecule state on freshly reset emulators.
molecule: $(STAMP) collection-link
	$(BIN)/python tools/molecule_lanes.py --lanes $(MOLECULE_LANES) $(SCENARIOS)

# --dist loadfile: a file's tests stay in one worker, in order, so a module's deploy is shared as before.
# (Not loadgroup: pytest-xdist 3.8 marks its groups in Node._nodeid, which pytest 9 no longer reads.)
# Each worker starts its own emulators; the trap stops them if a worker dies before its fixtures could.
test-integration: $(STAMP) collection-link
	trap '$(TEST_ENV) $(CTL) stop >/dev/null; $(TEST_ENV) $(BIN)/python tools/emulators/test_workers.py stop >/dev/null' EXIT; \
	  $(TEST_ENV) $(BIN)/python -m pytest tests/integration -q -p no:cacheprovider --durations=15 \
	    $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

build: $(STAMP)
	mkdir -p .build/dist
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

benchmarks: $(STAMP) collection-link
	@for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean: emulators-down
	rm -rf .build .run tests/output
