"""The local images that tools/containers/images.py builds run as ECS would run them: the backends answer
/health (500 for the broken build) and /api/whoami with their version, the frontend runs the task
definition's command (roles/ecs_service/vars/main.yml) with the configuration the nginx_discovery template
renders, and every container stops cleanly on the stop signal, well before a SIGKILL.

Needs podman and runc (bash .ci/run installs them); the images are built here if they are not (cached: the
Debian base takes about a minute the first time). The containers are on a podman network of this test's own,
their ports published on 127.0.0.1 only.
"""

import base64

import jinja2
import pytest
import yaml

from .containers import REPO, get, images, stop_cleanly, wait_until

PREFIX, TAG = images.DEFAULT_PREFIX, images.DEFAULT_TAG
NGINX_DEFAULTS = yaml.safe_load((REPO / "roles" / "nginx_discovery" / "defaults" / "main.yml").read_text())
NGINX_TEMPLATE = (REPO / "roles" / "nginx_discovery" / "templates" / "default.conf.j2").read_text()


@pytest.mark.parametrize("tag, health, version", [(TAG, 200, "0001"), ("local-0002", 200, "0002"),
                                                  ("local-broken", 500, "broken")])
def test_backend_image(run_container, tag, health, version):
    name, port = run_container(images.local_image(PREFIX + "/backend", tag), 8080, TASK_ID="smoke-" + tag,
                               LAME_DUCK_SECONDS="0")
    wait_until(lambda: get(port, "/health")[0] is not None, 15, "the backend container to answer")

    assert get(port, "/health")[0] == health
    status, _, body = get(port, "/api/whoami")
    assert status == 200 and '"task": "smoke-%s"' % tag in body and '"version": "%s"' % version in body
    # The default health check's tool is in the image, and the check fails on the broken build.
    check = images.podman("exec", name, "/bin/sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1:8080/health", check=False)
    assert (check.returncode == 0) == (health == 200), check.stderr
    assert images.podman("exec", name, "id", "-u").stdout.strip() != "0"
    stop_cleanly(name)


def rendered_nginx_config():
    """The template of the nginx_discovery role with its defaults (as `template` renders: trim_blocks). The
    resolver is loopback: nothing here asks it, and nothing could leave the machine if something did."""
    values = dict(NGINX_DEFAULTS, nginx_discovery_backend_name="backend.webstack-local.local",
                  nginx_discovery_resolver=["127.0.0.1"])
    internals = yaml.safe_load((REPO / "roles" / "nginx_discovery" / "vars" / "main.yml").read_text())
    values.update({key: internals[key] for key in ("nginx_discovery__upstream_name", "nginx_discovery__log_format")})
    environment = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
    environment.filters["bool"] = lambda value: str(value).lower() in ("true", "yes", "1", "on")
    return environment.from_string(NGINX_TEMPLATE).render(values)


def test_frontend_image_runs_the_task_definitions_command(run_container):
    command = yaml.safe_load((REPO / "roles" / "ecs_service" / "vars" / "main.yml").read_text())["ecs_service_nginx_command"]
    config_b64 = base64.b64encode(rendered_nginx_config().encode()).decode()
    name, port = run_container(images.local_image(PREFIX + "/frontend", TAG), 80, *command, NGINX_CONF_B64=config_b64)
    wait_until(lambda: get(port, "/healthz")[0] is not None, 15, "the frontend container to answer")

    assert get(port, "/healthz")[:3:2] == (200, "ok\n")
    status, headers, page = get(port, "/")
    assert status == 200 and 'id="whoami"' in page
    assert get(port, "/some/client/route")[2] == page  # client routes fall back to the app shell
    assert get(port, "/index.html")[1]["Cache-Control"] == "no-cache"
    assert get(port, "/app.js")[0] == 200 and headers["X-Request-ID"]
    check = images.podman("exec", name, "/bin/sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1/healthz", check=False)
    assert check.returncode == 0, check.stderr
    # The access log goes to the container's output (awslogs), in the role's log format.
    assert "GET /some/client/route" in images.podman("logs", name).stdout
    stop_cleanly(name)


def test_broken_nginx_config_fails_the_container(run_container):
    """A configuration nginx refuses stops the task (ECS then replaces it): no silent default server."""
    bad = base64.b64encode(b"server { listen 80; no_such_directive on; }").decode()
    command = yaml.safe_load((REPO / "roles" / "ecs_service" / "vars" / "main.yml").read_text())["ecs_service_nginx_command"]
    name, _ = run_container(images.local_image(PREFIX + "/frontend", TAG), 80, *command, NGINX_CONF_B64=bad)

    wait_until(lambda: images.podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "exited",
               15, "the container to exit")
    assert images.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() != "0"
    assert "no_such_directive" in images.podman("logs", name).stderr + images.podman("logs", name).stdout


def frontend_health_check():
    """The frontend's default health check command, as the webstack role (vars/main.yml) renders it."""
    stack = yaml.safe_load((REPO / "roles" / "webstack" / "vars" / "main.yml").read_text())
    return stack["webstack_http_check"] % ("http://127.0.0.1/healthz", "http://127.0.0.1/healthz")


@pytest.mark.parametrize("tools", ["curl only (official Debian nginx)", "busybox wget only (alpine nginx)", "neither"])
def test_the_frontend_health_check_in_a_running_container(run_container, tools):
    """In a real frontend container: the default check passes with only curl, as on the Debian-based official
    image, and with only busybox's wget, as on the alpine one; with neither it fails (the task would be replaced)."""
    command = yaml.safe_load((REPO / "roles" / "ecs_service" / "vars" / "main.yml").read_text())["ecs_service_nginx_command"]
    config_b64 = base64.b64encode(rendered_nginx_config().encode()).decode()
    name, port = run_container(images.local_image(PREFIX + "/frontend", TAG), 80, *command, NGINX_CONF_B64=config_b64)
    wait_until(lambda: get(port, "/healthz")[0] == 200, 15, "the frontend container to answer")
    assert images.podman("exec", name, "sh", "-c", "command -v wget", check=False).returncode != 0  # as Debian's
    if not tools.startswith("curl"):
        images.podman("exec", name, "rm", "-f", "/usr/bin/curl")
    if tools.startswith("busybox"):
        images.podman("cp", "/usr/bin/busybox", name + ":/usr/local/bin/busybox")
        images.podman("exec", name, "ln", "-s", "/usr/local/bin/busybox", "/usr/local/bin/wget")
    check = images.podman("exec", name, "/bin/sh", "-c", frontend_health_check(), check=False)
    assert (check.returncode == 0) == (tools != "neither"), (tools, check.returncode, check.stderr)
