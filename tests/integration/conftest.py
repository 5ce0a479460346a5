"""One set of emulators per pytest-xdist worker.

`make test-integration` runs these tests in parallel (pytest -n, --dist loadfile: a file's tests stay in one
worker, in order, so a module-scoped deploy is shared as before). Each worker gets its own moto, Atlas
stand-in, adversarial front and run directory (tools/emulators/test_workers.py: gwN from port 5200 + 10 * N),
and the fixtures start them there (stackrun.Emulators starts what is not running and stops what it started).
A worker's ports are its own, so no test sees another's requests or resets another's account. Without xdist
nothing changes: the ports and run directory of the environment (make test's TEST_ENV) are used.
"""

import os
import sys

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

if _WORKER:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "tools", "emulators"))
    import test_workers  # noqa: E402  pylint: disable=wrong-import-position

    os.environ.update(test_workers.worker_env(_WORKER))
