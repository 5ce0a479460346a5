#!/usr/bin/env python3
"""The local stack benchmark (issue 13): the whole stack in real containers, timed as a user lives it.

On emulators of its own (ports 5500-5502, resolver 169.254.169.239, WEBSTACK_ECS_TASKS=containers), from an
empty account and the images already built (`make images`; a fresh clone adds the venv, about 90 s, and the
Debian base, about 60 s once):

  deploy_s        deploy.yml until the first answer of /api through the site (what `make deploy-local` waits for)
  noop_s          a second deploy.yml (changed=0), with steady load on /api: requests failed
  rollout_s       update_image.yml to a new backend image, under load, until only the new version answers
                  (every answer of the last TTL + 1 s is the new one): requests failed

Ratios in one run (this machine is noisy): noop_s / deploy_s and rollout_s / deploy_s.
Prints a table, writes benchmarks/results/local_stack.json. Exits non-zero only when the harness fails.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from integration.local_stack import test_local_stack as stack_test  # noqa: E402  pylint: disable=wrong-import-position
from integration.sample_app.containers import require_images  # noqa: E402  pylint: disable=wrong-import-position
from integration.stack.stackrun import Emulators  # noqa: E402  pylint: disable=wrong-import-position

RESULTS = REPO / "benchmarks" / "results" / "local_stack.json"
TTL = 10  # webstack_backend_discovery_ttl of inventories/local


def environment():
    env = dict(os.environ, WEBSTACK_MOTO_PORT="5500", WEBSTACK_ATLAS_PORT="5501", WEBSTACK_SITE_PORT="5502",
               WEBSTACK_ECS_TASKS="containers", WEBSTACK_VPC_DNS_ADDRESS="169.254.169.239",
               WEBSTACK_RUN_DIR=str(REPO / ".run" / "bench-local-stack"),
               ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    env.pop("WEBSTACK_FRONT_PORT", None)
    return env


def main() -> int:
    require_images()
    env = environment()
    figures = {}
    with Emulators(env) as emulators:
        emulators.reset()
        emulators.resolver = env["WEBSTACK_VPC_DNS_ADDRESS"]
        site = stack_test.Site(int(env["WEBSTACK_SITE_PORT"]))

        started = time.monotonic()
        first = stack_test.deploy(emulators)
        if first.rc != 0:
            print(first.output[-4000:], file=sys.stderr)
            return 1
        stack_test.wait_for("the first answer of /api", site.whoami, timeout=180, delay=0.2)
        figures["deploy_s"] = round(time.monotonic() - started, 1)

        with stack_test.Load(site) as load:
            started = time.monotonic()
            again = stack_test.deploy(emulators)
            figures["noop_s"] = round(time.monotonic() - started, 1)
        figures["noop_changed"] = again.changed
        figures["noop_requests"], figures["noop_failed"] = len(load.results), len(load.failures())

        stack_test.push_tag(emulators, "local-0002")
        with stack_test.Load(site) as load:
            started = time.monotonic()
            update = stack_test.deploy(emulators, "update_image.yml", "-e", "webstack_backend_image_tag=local-0002")
            if update.rc != 0:
                print(update.output[-4000:], file=sys.stderr)
                return 1

            def only_new():
                window = [answer for t, status, answer in list(load.results)
                          if status == 200 and t >= time.monotonic() - (TTL + 1)]
                return window and all(a["version"] == "0002" for a in window)

            stack_test.wait_for("only the new version to answer", only_new, timeout=120, delay=0.2)
            # The window above is the last TTL + 1 s: the rollout ended that much before it was proven.
            figures["rollout_s"] = round(time.monotonic() - started - (TTL + 1), 1)
        figures["rollout_requests"], figures["rollout_failed"] = len(load.results), len(load.failures())
        stack_test.playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes", timeout=900)

    figures["noop_over_deploy"] = round(figures["noop_s"] / figures["deploy_s"], 2)
    figures["rollout_over_deploy"] = round(figures["rollout_s"] / figures["deploy_s"], 2)
    rows = [("deploy to the first /api answer", "%.1f s" % figures["deploy_s"], ""),
            ("no-op re-run", "%.1f s (%.2f of the deploy), changed=%d" % (figures["noop_s"], figures["noop_over_deploy"],
                                                                         figures["noop_changed"]),
             "%d of %d requests failed" % (figures["noop_failed"], figures["noop_requests"])),
            ("image-only rollout until only the new digest serves", "%.1f s (%.2f of the deploy)"
             % (figures["rollout_s"], figures["rollout_over_deploy"]),
             "%d of %d requests failed" % (figures["rollout_failed"], figures["rollout_requests"]))]
    for row in rows:
        print("%-55s %-40s %s" % row)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(dict(figures, machine=platform.machine(), cpus=os.cpu_count(),
                                       when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
