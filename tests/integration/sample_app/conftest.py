"""Fixtures for the tests that run the local images: a podman network of the test module's own, and containers
on it whose ports are published on 127.0.0.1 only (helpers in containers.py)."""

import os

import pytest

from .containers import STOP_TIMEOUT, free_port, images, require_images


@pytest.fixture(scope="module")
def network(request):
    require_images()
    name = "webstack-sample-%s-%d" % (request.module.__name__.rsplit(".", 1)[-1].replace("_", "-"), os.getpid())
    images.podman("network", "create", name)
    yield name
    images.podman("network", "rm", "--force", name, check=False)


@pytest.fixture
def run_container(network):
    """run_container(ref, container_port, *command, podman_args=(), **env) -> (name, host port on 127.0.0.1);
    container_port None publishes nothing (port None). Every container is removed at the end of the test."""
    names = []

    def run(ref, container_port, *command, podman_args=(), **env):
        name = "%s-%d" % (network, len(names))
        port = free_port() if container_port else None
        args = ["run", "--detach", "--name", name, "--network", network, "--stop-timeout", str(STOP_TIMEOUT),
                *podman_args]
        if container_port:
            args += ["--publish", "127.0.0.1:%d:%d" % (port, container_port)]
        for key, value in env.items():
            args += ["--env", "%s=%s" % (key, value)]
        names.append(name)
        images.podman(*args, ref, *command)
        return name, port

    yield run
    for name in names:
        images.podman("rm", "--force", "--time", "0", name, check=False)
