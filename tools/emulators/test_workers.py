#!/usr/bin/env python3
"""The emulators of the pytest-xdist workers of `make test-integration`.

Worker gwN has moto on BASE + 10 * N, the Atlas stand-in on the next port, the adversarial front on the one
after, and its state in <run root>/gwN (tests/integration/conftest.py sets them before any fixture starts the
emulators there). `python tools/emulators/test_workers.py stop` stops whatever any worker left running (the
Makefile's trap: a worker that dies never reaches its fixtures' teardown).
"""

from __future__ import annotations

import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BASE = 5200


def run_root(env=None) -> str:
    env = os.environ if env is None else env
    return env.get("WEBSTACK_RUN_DIR") or os.path.join(REPO, ".run", "test")


def worker_env(worker: str, env=None) -> dict:
    """The WEBSTACK_* settings of xdist worker ``worker`` ("gw3")."""
    env = os.environ if env is None else env
    number = int(re.fullmatch(r"gw(\d+)", worker).group(1))
    base = int(env.get("WEBSTACK_TEST_PORT_BASE", DEFAULT_BASE)) + 10 * number
    return {"WEBSTACK_MOTO_PORT": str(base), "WEBSTACK_ATLAS_PORT": str(base + 1),
            "WEBSTACK_FRONT_PORT": str(base + 2), "WEBSTACK_RUN_DIR": os.path.join(run_root(env), worker)}


def stop_all(env=None) -> int:
    sys.path.insert(0, HERE)
    import ctl  # pylint: disable=import-outside-toplevel

    stopped = 0
    for directory in sorted(glob.glob(os.path.join(run_root(env), "gw*"))):
        worker = os.path.basename(directory)
        if re.fullmatch(r"gw\d+", worker):
            ctl.stop(ctl.settings(worker_env(worker, env)))
            stopped += 1
    return stopped


if __name__ == "__main__":
    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: test_workers.py stop")
    stop_all()
