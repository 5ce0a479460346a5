"""The container engine and the local images, for the tests that run real containers.

podman must be installed with runc (bash .ci/run installs both); a missing engine is an error, never a skip.
The images are built here when absent: tools/containers/images.py caches the Debian base by its inputs and
rebuilds an image only when its context changed, so this costs about a minute once per machine.
"""

import importlib.util
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
STOP_TIMEOUT = 10  # podman's SIGKILL comes after this: a clean stop is far quicker


def _load(name, path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


images = _load("webstack_images_tool", REPO / "tools" / "containers" / "images.py")
# The sample app's unit-test helpers: TLS files, free_port, wait_until (under the name its unit tests import).
testlib = _load("sample_app_testlib", REPO / "tests" / "unit" / "sample_app" / "sample_app_testlib.py")
free_port, wait_until = testlib.free_port, testlib.wait_until


def require_images(prefix=images.DEFAULT_PREFIX, tag=images.DEFAULT_TAG):
    """Fail with what to do when podman is missing; build the sample images when they are not there."""
    for tool in ("podman", "runc"):
        if not shutil.which(tool):
            raise AssertionError("%s is not installed: apt-get install podman runc debootstrap (bash .ci/run does)" % tool)
    refs = [image.ref for image in images.sample_images(prefix, tag)]
    if not all(images.image_exists(ref) for ref in refs):
        assert images.main(["all", "--prefix", prefix, "--tag", tag]) == 0, "python tools/containers/images.py all failed"
    return refs


def get(port, path):
    """(status, headers, body) of GET http://127.0.0.1:PORT/PATH; (None, ...) when nothing answers yet."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, None, ""


def logs(name):
    """What the container wrote, stdout and stderr."""
    result = images.podman("logs", name)
    return result.stdout + result.stderr


def stop_cleanly(name):
    """podman stop sends the image's stop signal; the container must exit 0 long before the SIGKILL."""
    started = time.monotonic()
    images.podman("stop", "--time", str(STOP_TIMEOUT), name)
    elapsed = time.monotonic() - started
    exit_code = images.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
    assert (exit_code, elapsed < 3) == ("0", True), (exit_code, elapsed, logs(name))
