"""The local stack really runs (issue 13): deploy.yml on inventories/local with the emulated ECS in containers
mode, every task a podman container, and the sample app answering through nginx at the site's address.

One deploy for the module (emulators of its own, WEBSTACK_ECS_TASKS=containers, beside the worker's instant
ones), then, in order: what a user sees (the page, /api from every backend task, the Redis counter), who may
reach Redis, the worker (the third service: its counter moves, nobody reaches it), the Mongo URI in no output, a
backend container killed under load, an image update under load, a broken image stopped by the circuit breaker, a
headless browser, and destroy.yml stopping every container.

Load goes through the site address (127.0.0.1:<site port>, site_forwarder.py: the frontend task's published
port), one new connection per request, as many users would.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from ..sample_app.containers import images, require_images
from ..stack.stackrun import REPO, Emulators, playbook

CLUSTER, BACKEND_REPOSITORY = "webstack-local", "webstack-local/backend"
OWNER_LABEL = "stackops.ecs_webstack.emulator"
TASK_LABEL = "stackops.ecs_webstack.ecs_task"


def _containers_env():
    """Emulators of this module's own: the worker's moto port + 5, Atlas + 6, the site + 7, and a VPC resolver
    address per worker (two containers-mode emulators never share one)."""
    base = int(os.environ.get("WEBSTACK_MOTO_PORT", "5065")) + 5
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker[2:]) if worker.startswith("gw") else 9
    env = dict(os.environ, WEBSTACK_MOTO_PORT=str(base), WEBSTACK_ATLAS_PORT=str(base + 1),
               WEBSTACK_SITE_PORT=str(base + 2), WEBSTACK_ECS_TASKS="containers",
               WEBSTACK_VPC_DNS_ADDRESS="169.254.169.%d" % (240 + number),
               WEBSTACK_RUN_DIR=(os.environ.get("WEBSTACK_RUN_DIR") or os.path.join(REPO, ".run", "test")) + "-containers")
    env.pop("WEBSTACK_FRONT_PORT", None)
    return env


class Site:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, timeout=10.0):
        """(status, body) of one request on a new connection; (None, reason) when it failed."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            return None, "%s: %s" % (type(error).__name__, error)
        finally:
            connection.close()

    def whoami(self):
        status, body = self.request("GET", "/api/whoami")
        return json.loads(body) if status == 200 else None


class Load:
    """Steady load on /api/whoami through the site until stopped: every answer, with its time."""

    def __init__(self, site, pause=0.02):
        self.site, self.pause = site, pause
        self.results, self.stopping = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            status, body = self.site.request("GET", "/api/whoami")
            answer = json.loads(body) if status == 200 else None
            self.results.append((time.monotonic(), status, answer if answer else body[:300]))
            time.sleep(self.pause)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=30)

    def failures(self):
        return [(round(t, 2), status, body) for t, status, body in self.results if status != 200]

    def versions_after(self, moment):
        return {answer["version"] for t, status, answer in self.results if status == 200 and t >= moment}


def podman(*args, check=True):
    return images.podman(*args, check=check)


def wait_for(what, probe, timeout=120.0, delay=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(delay)


@pytest.fixture(scope="module")
def stack():
    require_images()
    env = _containers_env()
    with Emulators(env) as emulators:
        emulators.reset()
        emulators.site = Site(int(env["WEBSTACK_SITE_PORT"]))
        emulators.resolver = env["WEBSTACK_VPC_DNS_ADDRESS"]
        started = time.monotonic()
        emulators.deploy = deploy(emulators)
        emulators.deploy_seconds = time.monotonic() - started
        assert emulators.deploy.rc == 0, emulators.deploy.output[-6000:]
        yield emulators


def deploy(emulators, playbook_name="deploy.yml", *args):
    # The frontend's nginx asks the resolver this emulator instance runs (AWS's is 169.254.169.253).
    return playbook(emulators, playbook_name, "-e", json.dumps({"nginx_discovery_resolver": [emulators.resolver]}),
                    *args, timeout=900)


def ecs(emulators):
    session, url = emulators.boto3_session()
    return session.client("ecs", endpoint_url=url)


def running_tasks(emulators, service):
    client = ecs(emulators)
    arns = client.list_tasks(cluster=CLUSTER, serviceName=service, desiredStatus="RUNNING")["taskArns"]
    tasks = client.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t["lastStatus"] == "RUNNING"]


def address(task):
    for attachment in task.get("attachments") or []:
        for detail in attachment.get("details") or []:
            if detail["name"] == "privateIPv4Address":
                return detail["value"]
    return None


def healthy_backend_addresses(emulators):
    return sorted(address(t) for t in running_tasks(emulators, "backend") if t.get("healthStatus") == "HEALTHY")


def container_of(task, name):
    found = podman("ps", "--filter", "label=%s=%s" % (TASK_LABEL, task["taskArn"]), "--format", "{{.Names}}").stdout.split()
    return next(n for n in found if n.endswith("-" + name))


def push_tag(emulators, tag):
    """What `docker push` of a new build does to the registry: a new manifest (a new digest) under ``tag``; the
    emulated ECS runs localhost/webstack-local/backend:<tag> (tools/containers/images.py built it)."""
    session, url = emulators.boto3_session()
    client = session.client("ecr", endpoint_url=url)
    seeded = client.batch_get_image(repositoryName=BACKEND_REPOSITORY, imageIds=[{"imageTag": "local-0001"}])
    manifest = json.loads(seeded["images"][0]["imageManifest"])
    entries = manifest.get("layers") or manifest["manifests"]
    entries[0]["digest"] = "sha256:" + tag.encode().hex().ljust(64, "0")[:64]
    client.put_image(repositoryName=BACKEND_REPOSITORY, imageManifest=json.dumps(manifest), imageTag=tag)
    return client.describe_images(repositoryName=BACKEND_REPOSITORY, imageIds=[{"imageTag": tag}])["imageDetails"][0]["imageDigest"]


def test_the_page_and_every_backend_task_answer_through_nginx(stack):
    status, page = stack.site.request("GET", "/")
    assert status == 200 and 'id="whoami"' in page, (status, page[:500])
    backends = healthy_backend_addresses(stack)
    assert len(backends) == 2 and len(running_tasks(stack, "frontend")) == 1
    # Every backend task serves: nginx spreads the requests over all the addresses Cloud Map returns.
    answered = {stack.site.whoami()["address"] for _request in range(30)}
    assert sorted(answered) == backends
    print("deploy to the first answer: %.0f s" % stack.deploy_seconds)


def test_the_redis_counter_goes_up(stack):
    first = json.loads(stack.site.request("POST", "/api/counter")[1])["counter"]
    second = json.loads(stack.site.request("POST", "/api/counter")[1])["counter"]
    assert second == first + 1
    assert json.loads(stack.site.request("GET", "/api/counter")[1])["counter"] == second


def test_redis_admits_backend_tasks_and_refuses_frontend_tasks(stack):
    config = json.loads(stack.site.request("GET", "/api/config")[1])
    host, port = config["redis"].rsplit(":", 1)
    assert config["redis_tls"] is True
    probe = ("import socket, sys\ntry:\n socket.create_connection((%r, %s), timeout=3).close()\nexcept OSError as e:\n"
             " print(type(e).__name__, e); sys.exit(1)\n" % (host, port))
    backend = container_of(running_tasks(stack, "backend")[0], "backend")
    frontend = container_of(running_tasks(stack, "frontend")[0], "frontend")
    reached = podman("exec", backend, "python3", "-c", probe, check=False)
    assert reached.returncode == 0, reached.stdout + reached.stderr
    refused = podman("exec", frontend, "python3", "-c", probe, check=False)
    assert refused.returncode == 1, "a frontend task reached Redis at %s:%s" % (host, port)


def test_the_mongodb_uri_appears_in_no_output_or_log(stack):
    assert json.loads(stack.site.request("GET", "/api/config")[1])["mongodb_uri_set"] is True
    with open(os.path.join(stack.cfg["run_dir"], "mongodb-password"), encoding="utf-8") as handle:
        password = handle.read().strip()
    assert len(password) >= 16
    names = podman("ps", "--all", "--filter", "label=%s=%d" % (OWNER_LABEL, stack.cfg["moto_port"]),
                   "--format", "{{.Names}}").stdout.split()
    assert names, "no container of this instance"
    logs = {name: podman("logs", name, check=False) for name in names}
    texts = {"deploy output": stack.deploy.output, "moto.log": open(os.path.join(stack.cfg["run_dir"], "moto.log"),
                                                                       encoding="utf-8", errors="replace").read()}
    texts.update({"podman logs " + name: proc.stdout + proc.stderr for name, proc in logs.items()})
    assert [where for where, text in texts.items() if password in text] == []


def in_container(container, *command, check=False):
    return podman("exec", container, *command, check=check)


def worker_status(container):
    """The worker's /status, asked inside its own container (nothing outside may reach it)."""
    run = in_container(container, "python3", "-c", "import urllib.request; print(urllib.request.urlopen("
                       "'http://127.0.0.1:8081/status', timeout=5).read().decode())")
    return json.loads(run.stdout) if run.returncode == 0 else None


def reaches(container, url):
    """Whether ``container`` gets an HTTP answer from ``url`` (curl, 3 s): the frontend image has curl."""
    return in_container(container, "curl", "-sS", "-o", "/dev/null", "-m", "3", url).returncode == 0


def test_the_worker_counts_on_redis_and_is_reachable_by_nobody(stack):
    """The third service of the local inventory (webstack_services): a worker that reaches Redis and that no
    service reaches. Its counter goes up; the frontend's task reaches a backend task but not the worker's; the
    worker publishes no port on the host and is not in Cloud Map."""
    workers = wait_for("a healthy worker task", lambda: [t for t in running_tasks(stack, "worker")
                                                         if t.get("healthStatus") == "HEALTHY"], timeout=180)
    worker = container_of(workers[0], "worker")
    first = wait_for("the worker's first ticks", lambda: (worker_status(worker) or {}).get("ticks"), timeout=60)
    later = wait_for("more ticks", lambda: (worker_status(worker) or {}).get("ticks", 0) > first and worker_status(worker),
                     timeout=30)
    assert later["last_value"] >= later["ticks"] and later["last_error"] is None, later

    frontend = container_of(running_tasks(stack, "frontend")[0], "frontend")
    backend_address = address(running_tasks(stack, "backend")[0])
    # The positive control: the same probe reaches what the frontend's security group is admitted to.
    assert reaches(frontend, "http://%s:8080/health" % backend_address)
    assert not reaches(frontend, "http://%s:8081/health" % address(workers[0]))
    # The image's exposed ports are listed with no host binding (None); a published one has a host port.
    bindings = json.loads(podman("inspect", "--format", "{{json .HostConfig.PortBindings}}", worker).stdout or "null") or {}
    assert not [port for port, published in bindings.items() if published], bindings
    assert podman("port", worker, check=False).stdout.strip() == ""
    names = ecs(stack).describe_services(cluster=CLUSTER, services=["worker"])["services"][0].get("serviceRegistries")
    assert not names


def test_a_backend_container_killed_under_load_loses_no_request(stack):
    before = running_tasks(stack, "backend")
    victim = before[0]
    with Load(stack.site) as load:
        time.sleep(2)
        killed_at = time.monotonic()
        podman("kill", container_of(victim, "backend"))
        replacement = wait_for("a replacement backend task, HEALTHY", lambda: [
            a for a in healthy_backend_addresses(stack) if a not in {address(t) for t in before}])[0]
        registered_at = time.monotonic()
        wait_for("the replacement to answer through nginx",
                 lambda: any(isinstance(answer, dict) and answer.get("address") == replacement and t >= registered_at
                             for t, _status, answer in list(load.results)), timeout=30, delay=0.1)
        answered_at = time.monotonic()
        time.sleep(1)
    assert load.failures() == [], load.failures()[:10]
    # nginx follows Cloud Map within the record's TTL (webstack_backend_discovery_ttl, 10 s here) and a second.
    assert answered_at - registered_at <= 10 + 1 + 0.5, (answered_at - registered_at)
    assert address(victim) not in healthy_backend_addresses(stack)
    print("killed -> replacement HEALTHY %.1f s -> answering %.1f s later; %d requests, none failed"
          % (registered_at - killed_at, answered_at - registered_at, len(load.results)))


def test_update_image_under_load_ends_with_only_the_new_digest(stack):
    digest = push_tag(stack, "local-0002")
    with Load(stack.site) as load:
        time.sleep(1)
        run = deploy(stack, "update_image.yml", "-e", "webstack_backend_image_tag=local-0002")
        done = time.monotonic()
        time.sleep(12)  # past the record TTL: nginx can only know the new tasks
    assert run.rc == 0, run.output[-4000:]
    assert load.failures() == [], load.failures()[:10]
    assert load.versions_after(done + 11) == {"0002"}
    tasks = running_tasks(stack, "backend")
    images_running = {c["image"] for t in tasks for c in t["containers"]}
    assert len(tasks) == 2 and all(image.endswith("@" + digest) for image in images_running), images_running


def test_a_broken_image_is_rolled_back_by_the_circuit_breaker_and_the_old_tasks_serve(stack):
    push_tag(stack, "local-broken")
    before = sorted(t["taskArn"] for t in running_tasks(stack, "backend"))
    with Load(stack.site) as load:
        run = deploy(stack, "update_image.yml", "-e", "webstack_backend_image_tag=local-broken")
    assert run.rc != 0, run.output[-4000:]
    text = " ".join(run.output.split())
    assert "backend" in text and "circuit breaker" in text, run.output[-4000:]
    assert load.failures() == [], load.failures()[:10]
    assert load.versions_after(0) == {"0002"}
    assert sorted(t["taskArn"] for t in running_tasks(stack, "backend")) == before


def test_a_headless_browser_shows_an_answer_from_the_api(stack):
    browser = shutil.which("chromium")
    assert browser, "chromium is not installed: apt-get install chromium (bash .ci/run does)"
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom",
                               "http://127.0.0.1:%d/" % stack.site.port],
                              capture_output=True, text=True, timeout=120, check=False)
    served = {stack.site.whoami()["task"] for _request in range(20)}
    dom = proc.stdout
    assert 'id="whoami"' in dom, proc.stderr[-2000:]
    shown = dom.split('id="whoami">', 1)[1].split("<", 1)[0]
    assert shown in served, (shown, served, dom[:3000])


def test_destroy_stops_every_container_it_started(stack):
    run = playbook(stack, "destroy.yml", "-e", "webstack_destroy_confirm=yes", timeout=900)
    assert run.rc == 0, run.output[-4000:]
    client = ecs(stack)
    try:
        found = client.describe_services(cluster=CLUSTER, services=["frontend", "backend", "worker"])["services"]
    except client.exceptions.ClusterNotFoundException:
        found = []
    assert all(s["status"] == "INACTIVE" for s in found), found
    wait_for("every container of the stack to stop", lambda: not podman(
        "ps", "--all", "--filter", "label=%s=%d" % (OWNER_LABEL, stack.cfg["moto_port"]), "--format", "{{.Names}}"
    ).stdout.split(), timeout=90)
