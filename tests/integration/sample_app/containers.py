"""The container engine and the local images, for the tests that run real containers.

podman must be installed with runc (bash .ci/run installs both); a missing engine is an error, never a skip.
The images are built here when absent: tools/containers/images.py caches the Debian base by its inputs and
rebuilds an image only when its context changed, so this costs about a minute once per machine.
"""

import importlib.util
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

_spec = importlib.util.spec_from_file_location("webstack_images_tool", REPO / "tools" / "containers" / "images.py")
images = importlib.util.module_from_spec(_spec)
sys.modules["webstack_images_tool"] = images
_spec.loader.exec_module(images)


def require_images(prefix=images.DEFAULT_PREFIX, tag=images.DEFAULT_TAG):
    """Fail with what to do when podman is missing; build the sample images when they are not there."""
    for tool in ("podman", "runc"):
        if not shutil.which(tool):
            raise AssertionError("%s is not installed: apt-get install podman runc debootstrap (bash .ci/run does)" % tool)
    refs = [image.ref for image in images.sample_images(prefix, tag)]
    if not all(images.image_exists(ref) for ref in refs):
        assert images.main(["all", "--prefix", prefix, "--tag", tag]) == 0, "python tools/containers/images.py all failed"
    return refs
