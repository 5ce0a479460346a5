#!/usr/bin/env python3
"""Run the molecule scenarios in parallel lanes, each lane with emulators of its own.

    python tools/molecule_lanes.py [--lanes 2] [--port-base 5300] [scenario ...]

A scenario resets its emulators before it starts (molecule's verify reads the whole emulated account), so two
scenarios never share a moto: lane L runs moto on PORT_BASE + 10 * L and the Atlas stand-in on the next port,
state in .run/molecule-<moto port> (two runs with different --port-base never share one). Lanes take the next scenario from one queue, the longest first (the durations of the
last run, kept in .run/molecule-durations.json, else MEASURED), so they end together. When a scenario ends its
recap is printed, and its whole output when it failed; after a failure no lane starts another scenario, and the
exit code is 1.

Most of a scenario's time is ansible-playbook waiting for the emulators and forking modules, so two lanes on
two cores take a little more than half the time of one.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LINK = os.path.join(REPO, ".build", "collections", "ansible_collections", "stackops", "ecs_webstack")
CTL = os.path.join(REPO, "tools", "emulators", "ctl.py")
DURATIONS = os.path.join(REPO, ".run", "molecule-durations.json")
# Seconds each scenario took in a two-lane `make test` here (2026-12-04): the order of a first run (CI's).
MEASURED = {"alb": 446, "app_secrets": 236, "atlas_access": 352, "ecr": 208, "ecs_cluster": 288, "ecs_service": 573,
            "ecs_service_ec2": 553, "elasticache": 389, "network": 478, "nginx_discovery": 83, "webstack": 45}


def all_scenarios() -> list:
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(REPO, "molecule", "*", "molecule.yml")))


def lane_env(lane: int, port_base: int) -> dict:
    env = dict(os.environ)
    for key in ("WEBSTACK_FRONT_PORT", "PYTEST_XDIST_WORKER"):
        env.pop(key, None)
    env.update(WEBSTACK_MOTO_PORT=str(port_base + 10 * lane), WEBSTACK_ATLAS_PORT=str(port_base + 10 * lane + 1),
               WEBSTACK_RUN_DIR=os.path.join(REPO, ".run", "molecule-%d" % (port_base + 10 * lane)),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    return env


def ctl(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, CTL, command], env=env, capture_output=True, text=True, check=False)


class Lanes:
    def __init__(self, scenarios: list, lanes: int, port_base: int):
        self.work = queue.Queue()
        known = dict(MEASURED)
        if os.path.exists(DURATIONS):
            with open(DURATIONS, encoding="utf-8") as handle:
                known.update(json.load(handle))
        for name in sorted(scenarios, key=lambda s: (-known.get(s, 0), s)):
            self.work.put(name)
        self.lanes, self.port_base = lanes, port_base
        self.failed, self.durations = [], dict(known)
        self.print_lock = threading.Lock()

    def say(self, text: str) -> None:
        with self.print_lock:
            print(text, flush=True)

    def lane(self, number: int) -> None:
        env = lane_env(number, self.port_base)
        started = ctl("start", env)
        if started.returncode != 0:
            self.failed.append("lane %d emulators" % number)
            self.say("lane %d: the emulators did not start:\n%s%s" % (number, started.stdout, started.stderr))
            return
        try:
            while not self.failed:
                try:
                    scenario = self.work.get_nowait()
                except queue.Empty:
                    return
                self.run(number, scenario, env)
        finally:
            ctl("stop", env)

    def run(self, number: int, scenario: str, env: dict) -> None:
        # Molecule keeps a scenario's state ("prepared", ...) between runs of one checkout and would skip
        # steps on an emptied emulator: every run starts from a clean state.
        for state in glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.%s" % scenario)):
            shutil.rmtree(state, ignore_errors=True)
        reset = ctl("reset", env)
        began = time.monotonic()
        if reset.returncode != 0:
            proc = reset
        else:
            proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "molecule"), "test", "-s", scenario],
                                  cwd=LINK, env=env, capture_output=True, text=True, check=False,
                                  stdin=subprocess.DEVNULL)
        took = time.monotonic() - began
        if proc.returncode == 0:  # a failure's time says nothing about the next run's order
            self.durations[scenario] = round(took, 1)
        verdict = "passed" if proc.returncode == 0 else "FAILED (rc %d)" % proc.returncode
        if proc.returncode != 0:
            self.failed.append(scenario)
        # A failure's whole output; a pass's last lines (molecule's recap of the scenario's steps).
        output = proc.stdout + proc.stderr
        if proc.returncode == 0:
            output = "\n".join(output.rstrip().splitlines()[-12:]) + "\n"
        self.say("=" * 30 + " molecule %s: %s in %.0f s (lane %d)\n%s" % (scenario, verdict, took, number, output))

    def go(self) -> int:
        threads = [threading.Thread(target=self.lane, args=(n,), daemon=True) for n in range(self.lanes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        os.makedirs(os.path.dirname(DURATIONS), exist_ok=True)
        with open(DURATIONS, "w", encoding="utf-8") as handle:
            json.dump(self.durations, handle, indent=1, sort_keys=True)
        left = []
        while not self.work.empty():
            left.append(self.work.get_nowait())
        summary = ", ".join("%s %.0f s" % item for item in sorted(self.durations.items()))
        self.say("molecule: %s%s" % ("FAILED: " + ", ".join(self.failed) if self.failed else "every scenario passed",
                                     "; not run: " + ", ".join(left) if left else ""))
        self.say("molecule durations: " + summary)
        return 1 if self.failed or left else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--lanes", type=int, default=int(os.environ.get("MOLECULE_LANES", "2")))
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("MOLECULE_PORT_BASE", "5300")))
    parser.add_argument("scenarios", nargs="*")
    options = parser.parse_args(argv)
    known = all_scenarios()
    unknown = sorted(set(options.scenarios) - set(known))
    if unknown:
        parser.error("no such scenario: %s (there are: %s)" % (", ".join(unknown), ", ".join(known)))
    if options.lanes < 1:
        parser.error("--lanes must be 1 or more")
    return Lanes(options.scenarios or known, options.lanes, options.port_base).go()


if __name__ == "__main__":
    sys.exit(main())
