"""The sample app's image definitions, read, not built: the Dockerfiles start from the official images and put the
files where the task definition and the rendered nginx configuration look for them; the local Containerfiles put
the same files at the same paths; tools/containers/images.py names the images as the emulated ECS expects."""

import importlib.util
import json
import re
import sys

import pytest
import yaml

from sample_app_testlib import REPO, SAMPLE_APP

_spec = importlib.util.spec_from_file_location("sample_app_images_tool", REPO / "tools" / "containers" / "images.py")
images = importlib.util.module_from_spec(_spec)
sys.modules["sample_app_images_tool"] = images
_spec.loader.exec_module(images)

NGINX_DEFAULTS = yaml.safe_load((REPO / "roles" / "nginx_discovery" / "defaults" / "main.yml").read_text())
NGINX_TEMPLATE = (REPO / "roles" / "nginx_discovery" / "templates" / "default.conf.j2").read_text()


def instructions(path):
    """[(INSTRUCTION, arguments)] of a Dockerfile: comments dropped, continuation lines joined."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")))
    found = []
    for line in text.splitlines():
        if line.strip():
            keyword, _space, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def arguments(path, keyword):
    return [rest for name, rest in instructions(path) if name == keyword]


def copies(path):
    """{destination: [sources]} of the COPY instructions."""
    found = {}
    for rest in arguments(path, "COPY"):
        *sources, destination = rest.split()
        found.setdefault(destination, []).extend(sources)
    return found


@pytest.mark.parametrize("component, official_base", [("backend", "python:3.12-slim"), ("frontend", "nginx:1.27")])
def test_dockerfiles_start_from_the_official_images(component, official_base):
    assert arguments(SAMPLE_APP / component / "Dockerfile", "FROM") == [official_base]


@pytest.mark.parametrize("component", ["backend", "frontend"])
def test_local_containerfiles_put_the_same_files_at_the_same_paths(component):
    dockerfile, local = SAMPLE_APP / component / "Dockerfile", SAMPLE_APP / component / "Containerfile.local"

    assert arguments(local, "FROM") == ["${BASE}"] and arguments(local, "ARG")[0] == "BASE"
    assert copies(local) == copies(dockerfile)
    for sources in copies(dockerfile).values():
        for source in sources:
            assert (SAMPLE_APP / component / source).is_file(), source
    if component == "backend":  # the frontend's Dockerfile keeps the official nginx image's USER, EXPOSE and CMD
        for keyword in ("USER", "EXPOSE", "CMD"):
            assert arguments(local, keyword) == arguments(dockerfile, keyword), keyword


def test_worker_images_are_built_from_the_backend_image():
    """The worker imports the backend's Redis client: both of its images start FROM the backend's, given as
    BACKEND_IMAGE, and add only worker.py beside app.py, run as the backend's user."""
    dockerfile, local = SAMPLE_APP / "worker" / "Dockerfile", SAMPLE_APP / "worker" / "Containerfile.local"
    for path in (dockerfile, local):
        assert arguments(path, "ARG")[0] == "BACKEND_IMAGE" and arguments(path, "FROM") == ["${BACKEND_IMAGE}"]
        assert copies(path) == {"/app/worker.py": ["worker.py"]}
        assert "/app/app.py" in copies(SAMPLE_APP / "backend" / "Dockerfile")
        assert json.loads(arguments(path, "CMD")[0]) == ["python", "/app/worker.py"]
        assert arguments(path, "USER") == arguments(SAMPLE_APP / "backend" / "Dockerfile", "USER")
        assert arguments(path, "EXPOSE") == ["8081"]
    assert (SAMPLE_APP / "worker" / "worker.py").is_file()


def test_inputs_of_an_image_built_from_another_follow_its_parent(monkeypatch):
    """A backend rebuilt is a new parent id: the worker's inputs change, so build rebuilds it."""
    worker = next(image for image in images.sample_images() if image.component == "worker")
    assert worker.parent
    assert images.inputs_sha(worker, "backend-1") != images.inputs_sha(worker, "backend-2")
    seen = []
    monkeypatch.setattr(images, "image_inspect", lambda ref: seen.append(ref) or {"Id": "id-of-" + ref})
    monkeypatch.setattr(images, "image_exists", lambda ref: True)
    monkeypatch.setattr(images, "image_label", lambda ref, label: images.inputs_sha(worker, "id-of-" + worker.parent))
    monkeypatch.setattr(images, "podman", lambda *args, **kwargs: pytest.fail("would build: %s" % (args,)))
    assert images.build_image(worker, "base-ref", "base-id", log=lambda line: None) is False  # cached: same parent
    assert seen == [worker.parent]


def test_frontend_files_are_where_the_rendered_configuration_serves_from():
    root = NGINX_DEFAULTS["nginx_discovery_static_root"]
    assert "root {{ nginx_discovery_static_root }};" in NGINX_TEMPLATE and "index index.html;" in NGINX_TEMPLATE

    for containerfile in ("Dockerfile", "Containerfile.local"):
        served = copies(SAMPLE_APP / "frontend" / containerfile)
        assert list(served) == [root.rstrip("/") + "/"]
        assert "index.html" in served[root.rstrip("/") + "/"]


def test_frontend_calls_the_proxied_api_and_shows_the_answers():
    page = (SAMPLE_APP / "frontend" / "index.html").read_text()
    script = (SAMPLE_APP / "frontend" / "app.js").read_text()
    api = NGINX_DEFAULTS["nginx_discovery_api_location"]

    assert 'id="whoami"' in page and 'id="counter"' in page
    for path in ("/api/whoami", "/api/counter"):
        assert path.startswith(api) and '"%s"' % path in script
    for referenced in re.findall(r'(?:src|href)="/([^"]+)"', page):
        assert referenced in copies(SAMPLE_APP / "frontend" / "Dockerfile")["/usr/share/nginx/html/"], referenced


def test_local_frontend_drops_what_the_official_image_lacks():
    run = " ".join(arguments(SAMPLE_APP / "frontend" / "Containerfile.local", "RUN"))
    assert "rm -f /etc/nginx/sites-enabled/default" in run  # Debian's default site would also take port 80
    assert "ln -sf /dev/stdout /var/log/nginx/access.log" in run


def test_backend_image_runs_as_the_task_definition_expects():
    dockerfile = SAMPLE_APP / "backend" / "Dockerfile"
    assert arguments(dockerfile, "EXPOSE") == [str(NGINX_DEFAULTS["nginx_discovery_backend_port"])]
    assert json.loads(arguments(dockerfile, "CMD")[0]) == ["python", "/app/app.py"]
    user = arguments(dockerfile, "USER")
    assert user and user[-1] not in ("0", "root")
    assert "curl" in " ".join(arguments(dockerfile, "RUN"))  # the default health check's tool


def test_image_names_are_the_ones_the_emulated_ecs_maps_to():
    assert images.local_image("webstack-local/backend", "local-0001") == "localhost/webstack-local/backend:local-0001"
    assert [(image.ref, dict(image.build_args)) for image in images.sample_images()] == [
        ("localhost/webstack-local/frontend:local-0001", {}),
        ("localhost/webstack-local/backend:local-0001", {"APP_VERSION": "0001"}),
        ("localhost/webstack-local/backend:local-0002", {"APP_VERSION": "0002"}),
        ("localhost/webstack-local/backend:local-broken", {"APP_VERSION": "broken", "APP_HEALTH_BROKEN": "true"}),
        ("localhost/webstack-local/worker:local-0001", {"BACKEND_IMAGE": "localhost/webstack-local/backend:local-0001"}),
    ]
    assert [image.ref for image in images.sample_images("p", "local-0002")] == [
        "localhost/p/frontend:local-0002", "localhost/p/backend:local-0002", "localhost/p/backend:local-broken",
        "localhost/p/worker:local-0002"]
    # The worker is built FROM the backend of its tag, after it.
    built = [image.ref for image in images.sample_images()]
    for image in images.sample_images("p", "local-0002") + images.sample_images():
        assert not image.parent or dict(image.build_args)["BACKEND_IMAGE"] == image.parent == image.ref.replace(
            "/worker:", "/backend:")
    assert built.index("localhost/webstack-local/backend:local-0001") < built.index("localhost/webstack-local/worker:local-0001")
    assert re.fullmatch(r"localhost/webstack-base:[0-9a-f]{12}", images.base_ref())


def test_podman_gets_the_project_configuration():
    env = images.podman_env()
    assert env["CONTAINERS_CONF"] == str(REPO / "tools" / "containers" / "containers.conf")
    assert 'default_ulimits = []' in (REPO / "tools" / "containers" / "containers.conf").read_text()


def test_inputs_change_with_any_context_file_and_with_the_base(tmp_path, monkeypatch):
    context = tmp_path / "backend"
    (context / "__pycache__").mkdir(parents=True)
    (context / "app.py").write_text("print('a')\n")
    (context / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    monkeypatch.setattr(images, "SAMPLE_APP", str(tmp_path))
    image = images.SampleImage("backend", "p/backend", "local-0001", (("APP_VERSION", "0001"),))

    first = images.inputs_sha(image, "base-1")
    assert images.context_files(str(context)) == ["app.py"]
    (context / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\1")
    assert images.inputs_sha(image, "base-1") == first
    assert images.inputs_sha(image, "base-2") != first
    (context / "app.py").write_text("print('b')\n")
    assert images.inputs_sha(image, "base-1") != first
