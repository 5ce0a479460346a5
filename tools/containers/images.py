#!/usr/bin/env python3
"""Build the local container images: a Debian base, and the sample app's images made from it.

    python tools/containers/images.py base     # debootstrap the base image (cached by its inputs)
    python tools/containers/images.py build [--prefix webstack-local] [--tag local-0001] [--base REF]
    python tools/containers/images.py all      # base, then build

No image registry is reachable here, so nothing can start FROM python:3.12-slim or nginx:1.27. The base
is made with debootstrap from the Debian mirror instead, and the sample app's Containerfile.local files
put the same files at the same paths as its Dockerfiles do (sample_app/README.md).

Images made (the emulated ECS maps ECR repository R, tag T to local_image(R, T)):
    localhost/webstack-base:<12 hex digits of the base's inputs>
    localhost/<prefix>/frontend:<tag>
    localhost/<prefix>/backend:<tag>             APP_VERSION = the tag without "local-"
    localhost/<prefix>/backend:local-0002        APP_VERSION 0002 (a second version to roll out)
    localhost/<prefix>/backend:local-broken      GET /health answers 500, everything else works
    localhost/<prefix>/worker:<tag>              FROM localhost/<prefix>/backend:<tag> (its Redis client)

Caching: the base's rootfs tarball is kept in ${WEBSTACK_CACHE_DIR:-~/.cache/ecs_webstack}; an image is
rebuilt only when its inputs (the build context's files, the build arguments, the id of the image it is built
FROM: the base, or for the worker the backend), kept as the label stackops.ecs_webstack.inputs, changed.

podman runs here only with the project's containers.conf (tools/containers/containers.conf) passed by
CONTAINERS_CONF: use podman_env() or podman() for every podman call.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONTAINERS_CONF = os.path.join(HERE, "containers.conf")
SAMPLE_APP = os.path.join(REPO, "sample_app")

BASE_REPOSITORY = "webstack-base"
BASE_SUITE = "bookworm"
BASE_VARIANT = "minbase"
# What the sample app's local images need from Debian: python3 (backend), nginx-light (frontend), curl
# (both health checks), ca-certificates (the backend's TLS to Redis); redis-server for an emulated
# ElastiCache node.
BASE_PACKAGES = ("ca-certificates", "python3", "nginx-light", "redis-server", "curl")
DEFAULT_MIRROR = "http://deb.debian.org/debian"

DEFAULT_PREFIX = "webstack-local"
DEFAULT_TAG = "local-0001"
SECOND_VERSION_TAG = "local-0002"
BROKEN_TAG = "local-broken"
INPUTS_LABEL = "stackops.ecs_webstack.inputs"
LOCAL_CONTAINERFILE = "Containerfile.local"
# Written by tools and editors, never part of an image (the contexts' .dockerignore says the same).
IGNORED_NAMES = ("__pycache__", ".pytest_cache")
IGNORED_SUFFIXES = (".pyc", ".swp", "~")


class ImageError(RuntimeError):
    """A podman or debootstrap step failed; the message says which and ends with its output."""


# ---------------------------------------------------------------------------------------------- podman

def podman_env() -> dict:
    """The environment every podman call needs here: os.environ plus CONTAINERS_CONF."""
    return dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)


def podman(*args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
    """Run `podman ARGS`; with check, a non-zero exit raises ImageError carrying its stderr."""
    output = subprocess.PIPE if capture else None
    result = subprocess.run(["podman", *args], env=podman_env(), stdout=output, stderr=output,
                            text=True, check=False)
    if check and result.returncode != 0:
        raise ImageError("podman %s exited %d:\n%s" % (" ".join(args), result.returncode,
                                                       _tail(result.stderr or result.stdout or "")))
    return result


def local_image(repository: str, tag: str) -> str:
    """The podman image reference of ECR repository REPOSITORY, tag TAG: localhost/<repository>:<tag>."""
    return "localhost/%s:%s" % (repository, tag)


def image_exists(ref: str) -> bool:
    return podman("image", "exists", ref, check=False).returncode == 0


def image_inspect(ref: str) -> dict:
    return json.loads(podman("image", "inspect", ref).stdout)[0]


def image_label(ref: str, label: str) -> str | None:
    return (image_inspect(ref).get("Labels") or {}).get(label)


# ------------------------------------------------------------------------------------------------ base

def cache_dir() -> str:
    path = os.environ.get("WEBSTACK_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "ecs_webstack")
    os.makedirs(path, exist_ok=True)
    return path


def base_inputs_sha() -> str:
    """What the base's content depends on; the mirror is not part of it (every mirror serves the same)."""
    inputs = {"suite": BASE_SUITE, "variant": BASE_VARIANT, "packages": sorted(BASE_PACKAGES)}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def base_ref() -> str:
    return local_image(BASE_REPOSITORY, base_inputs_sha()[:12])


def base_tarball() -> str:
    return os.path.join(cache_dir(), "base-%s.tar" % base_inputs_sha())


def build_base(log=print) -> str:
    """Make the base image unless it exists; return its reference."""
    started = time.monotonic()
    ref = base_ref()
    if image_exists(ref):
        log("base: cached %s" % ref)
        return ref
    tarball = base_tarball()
    if os.path.exists(tarball):
        log("base: rootfs tarball %s already made" % tarball)
    else:
        _debootstrap_tarball(tarball, log)
    step = time.monotonic()
    podman("import", "--change", "LABEL=%s=%s" % (INPUTS_LABEL, base_inputs_sha()),
           "--change", "CMD=[\"/bin/sh\"]", tarball, ref)
    log("base: imported %s in %.1f s" % (ref, time.monotonic() - step))
    log("base: done in %.1f s" % (time.monotonic() - started))
    return ref


def _debootstrap_tarball(tarball: str, log) -> None:
    if os.geteuid() != 0:
        raise ImageError("base: debootstrap needs root")
    debootstrap = shutil.which("debootstrap", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not debootstrap:
        raise ImageError("base: debootstrap is not installed (apt-get install debootstrap)")
    # We hold the lock: a rootfs left here is from a run that died, and nobody uses it.
    for stale in glob.glob(os.path.join(cache_dir(), "rootfs-*")):
        _remove_rootfs(stale)
    rootfs = tempfile.mkdtemp(prefix="rootfs-", dir=cache_dir())
    mirror = os.environ.get("WEBSTACK_DEBIAN_MIRROR") or DEFAULT_MIRROR
    debootstrap_log = tarball + ".debootstrap.log"
    try:
        step = time.monotonic()
        log("base: debootstrap --variant=%s %s with %s from %s (log: %s)"
            % (BASE_VARIANT, BASE_SUITE, ",".join(BASE_PACKAGES), mirror, debootstrap_log))
        with open(debootstrap_log, "w") as out:
            result = subprocess.run([debootstrap, "--variant=" + BASE_VARIANT, "--include=" + ",".join(BASE_PACKAGES),
                                     BASE_SUITE, rootfs, mirror], stdout=out, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            with open(debootstrap_log) as out:
                raise ImageError("base: debootstrap exited %d:\n%s" % (result.returncode, _tail(out.read())))
        log("base: debootstrap done in %.1f s" % (time.monotonic() - step))
        # The downloaded packages and the package lists are a third of the rootfs and no image needs them
        # (the official Debian images drop them too).
        for leftover in glob.glob(os.path.join(rootfs, "var/cache/apt/archives/*.deb")) + \
                glob.glob(os.path.join(rootfs, "var/lib/apt/lists/*_*")):
            os.unlink(leftover)
        step = time.monotonic()
        partial = tarball + ".partial"
        # Numeric owners: the rootfs's users (www-data, redis) are not the host's.
        subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", partial, "."], check=True)
        os.replace(partial, tarball)
        log("base: rootfs tarball %s (%d MiB) in %.1f s" % (tarball, os.path.getsize(tarball) >> 20,
                                                            time.monotonic() - step))
    finally:
        _remove_rootfs(rootfs)


def _mounts_under(path: str) -> list:
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as mountinfo:
        points = [line.split()[4] for line in mountinfo]
    return [point for point in points if point == real or point.startswith(real + "/")]


def _remove_rootfs(path: str) -> None:
    """Delete a debootstrap target; one that died may have left /proc or /sys mounted in it, and
    deleting through such a mount would reach the host's files."""
    for point in sorted(_mounts_under(path), reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    left = _mounts_under(path)
    if left:
        raise ImageError("base: %s still has mounts %s; not deleting it" % (path, left))
    shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------------------- sample images

@dataclasses.dataclass(frozen=True)
class SampleImage:
    """One local image of the sample app: sample_app/<component>/ built with these build arguments, FROM the
    base (build argument BASE), or FROM the sample image PARENT (a reference; its build arguments name it)."""

    component: str
    repository: str
    tag: str
    build_args: tuple = ()
    parent: str = ""

    @property
    def ref(self) -> str:
        return local_image(self.repository, self.tag)

    @property
    def context(self) -> str:
        return os.path.join(SAMPLE_APP, self.component)


def app_version(tag: str) -> str:
    """The version a backend image reports: its tag without the local- prefix (local-0002 -> 0002)."""
    return tag[len("local-"):] if tag.startswith("local-") else tag


def sample_images(prefix: str = DEFAULT_PREFIX, tag: str = DEFAULT_TAG) -> list:
    """The images build makes, one per reference."""
    def backend(image_tag, *extra_args):
        return SampleImage("backend", prefix + "/backend", image_tag,
                           (("APP_VERSION", app_version(image_tag)),) + extra_args)

    backend_ref = backend(tag).ref
    images = [SampleImage("frontend", prefix + "/frontend", tag), backend(tag), backend(SECOND_VERSION_TAG),
              backend(BROKEN_TAG, ("APP_HEALTH_BROKEN", "true")),
              # After its parent: build_images makes them in this order.
              SampleImage("worker", prefix + "/worker", tag, (("BACKEND_IMAGE", backend_ref),), parent=backend_ref)]
    unique = {}
    for image in images:  # --tag local-0002 names the second version's image: build it once
        unique.setdefault(image.ref, image)
    return list(unique.values())


def context_files(context: str) -> list:
    """The build context's files, relative and sorted, without editor and tool leftovers."""
    found = []
    for directory, subdirs, files in os.walk(context):
        subdirs[:] = sorted(name for name in subdirs if name not in IGNORED_NAMES)
        for name in files:
            if name not in IGNORED_NAMES and not name.endswith(IGNORED_SUFFIXES):
                found.append(os.path.relpath(os.path.join(directory, name), context))
    return sorted(found)


def inputs_sha(image: SampleImage, base_id: str) -> str:
    digest = hashlib.sha256()
    for relative in context_files(image.context):
        with open(os.path.join(image.context, relative), "rb") as source:
            content = source.read()
        digest.update(b"file\0%s\0%d\0" % (relative.encode(), len(content)) + content)
    digest.update(json.dumps({"base": base_id, "build_args": sorted(image.build_args),
                              "containerfile": LOCAL_CONTAINERFILE}, sort_keys=True).encode())
    return digest.hexdigest()


def build_image(image: SampleImage, base: str, base_id: str, log=print) -> bool:
    """Build IMAGE from BASE (or from its parent, which must exist) unless an image of the same inputs exists;
    True when it built."""
    started = time.monotonic()
    inputs = inputs_sha(image, image_inspect(image.parent)["Id"] if image.parent else base_id)
    previous_id = None
    if image_exists(image.ref):
        if image_label(image.ref, INPUTS_LABEL) == inputs:
            log("build: cached %s" % image.ref)
            return False
        previous_id = image_inspect(image.ref)["Id"]
    args = ["build", "--pull=never", "--file", os.path.join(image.context, LOCAL_CONTAINERFILE),
            "--label", "%s=%s" % (INPUTS_LABEL, inputs), "--tag", image.ref]
    if not image.parent:
        args += ["--build-arg", "BASE=" + base]
    for name, value in image.build_args:
        args += ["--build-arg", "%s=%s" % (name, value)]
    podman(*args, image.context)
    if previous_id and not podman("image", "inspect", "--format", "{{.RepoTags}}", previous_id,
                                  check=False).stdout.strip("[] \n"):
        # The image this tag named before, now untagged: gone unless a container still uses it.
        podman("image", "rm", previous_id, check=False)
    log("build: built %s in %.1f s" % (image.ref, time.monotonic() - started))
    return True


def build_images(prefix: str = DEFAULT_PREFIX, tag: str = DEFAULT_TAG, base: str | None = None, log=print) -> list:
    """Build the sample app's local images; return their references."""
    started = time.monotonic()
    base = base or base_ref()
    if not image_exists(base):
        raise ImageError("build: base image %s does not exist (python tools/containers/images.py base)" % base)
    base_id = image_inspect(base)["Id"]
    images = sample_images(prefix, tag)
    built = sum(build_image(image, base, base_id, log) for image in images)
    log("build: %d images (%d built, %d cached) from %s in %.1f s"
        % (len(images), built, len(images) - built, base, time.monotonic() - started))
    return [image.ref for image in images]


# -------------------------------------------------------------------------------------------------- cli

@contextlib.contextmanager
def _exclusive():
    """One build at a time on this machine: two debootstraps or two builds of a tag would collide."""
    with open(os.path.join(cache_dir(), "images.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("base", help="make the Debian base image (debootstrap; cached)")
    for name, text in (("build", "build the sample app's local images from the base"),
                       ("all", "base, then build")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--prefix", default=DEFAULT_PREFIX, help="repository prefix (default %(default)s)")
        command.add_argument("--tag", default=DEFAULT_TAG, help="frontend, backend and worker tag (default %(default)s)")
        if name == "build":
            command.add_argument("--base", help="base image (default: the one `base` makes, %s)" % base_ref())
    options = parser.parse_args(argv)
    try:
        with _exclusive():
            base = build_base() if options.command in ("base", "all") else options.base
            if options.command in ("build", "all"):
                build_images(options.prefix, options.tag, base)
    except (ImageError, subprocess.CalledProcessError) as error:
        print("error: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
