"""The emulated ECS runs every service's tasks as real containers and reports what runs (tools/emulators/ecs_tasks.py).

One backend service of 2 tasks is shared by the module's tests, in order: it comes up, serves from each task's
address with its secret, replaces a task whose container is stopped by hand, survives a broken image (the
circuit breaker rolls back while the old tasks serve), and rolls to a second version. The last test stops the
emulators and finds nothing of them left.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request

import pytest

from .conftest import (
    BACKEND_REPOSITORY,
    ENV,
    LABEL,
    REGISTRY,
    backend_task_definition,
    describe_service,
    http_json,
    images,
    labelled,
    load_product_ecs,
    registered,
    running_tasks,
    task_address,
    wait_for,
)

import ctl

SERVICE = "backend"
product_ecs = load_product_ecs()


def image(tag=None, digest=None):
    return "%s/%s%s" % (REGISTRY, BACKEND_REPOSITORY, "@" + digest if digest else ":" + tag)


@pytest.fixture(scope="module")
def service(aws, account):
    arn = backend_task_definition(aws, image("local-0001"), account["secret_arn"] + ":uri::")
    aws.ecs.create_service(
        cluster=account["cluster"], serviceName=SERVICE, taskDefinition=arn, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": account["subnets"],
                                                      "securityGroups": [account["backend_sg"]],
                                                      "assignPublicIp": "ENABLED"}},
        serviceRegistries=[{"registryArn": account["registry"]["Arn"]}],
        deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200,
                                 "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    return {"task_definition": arn, "registry_id": account["registry"]["Id"], "cluster": account["cluster"]}


def steady(aws, service, task_definition):
    def probe():
        described = describe_service(aws, service["cluster"], SERVICE)
        state, _reason = product_ecs.steady_state(described, task_definition)
        return described if state == "steady" else None
    return probe


def whoami_all(aws, service):
    return dict((task_address(t), http_json("http://%s:8080/api/whoami" % task_address(t)))
                for t in running_tasks(aws, service["cluster"], SERVICE))


def test_a_service_of_two_runs_two_real_tasks(aws, service):
    started = time.monotonic()
    described = wait_for("service steady", steady(aws, service, service["task_definition"]), timeout=60)
    assert described["runningCount"] == 2 and described["pendingCount"] == 0
    assert [d["rolloutState"] for d in described["deployments"]] == ["COMPLETED"]
    assert described["deployments"][0]["runningCount"] == 2
    tasks = running_tasks(aws, service["cluster"], SERVICE)
    assert len(tasks) == 2
    addresses = sorted(task_address(t) for t in tasks)
    for task in tasks:
        assert task["healthStatus"] == "HEALTHY"
        assert task["startedBy"] == described["deployments"][0]["id"]
        assert task["taskDefinitionArn"] == service["task_definition"]
        answer = http_json("http://%s:8080/api/whoami" % task_address(task))
        assert answer["address"] == task_address(task) and answer["version"] == "0001"
    assert len(labelled()) >= 2
    cloud_map = registered(aws, service["registry_id"])
    assert sorted(cloud_map) == sorted(t["taskArn"].rsplit("/", 1)[-1] for t in tasks)
    assert sorted(ip for ip, _health in cloud_map.values()) == addresses
    assert set(health for _ip, health in cloud_map.values()) == {"HEALTHY"}
    assert time.monotonic() - started < 30


def test_tasks_use_the_vpc_resolver_and_trust_the_emulator_ca(aws, service):
    container = labelled()[0]
    inspected = json.loads(images.podman("inspect", container).stdout)[0]
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in inspected["Config"]["Env"]
    assert [m for m in inspected["Mounts"] if m["Destination"] == "/etc/ssl/certs/ca-certificates.crt"
            and not m["RW"]]
    resolv = images.podman("exec", container, "cat", "/etc/resolv.conf").stdout
    assert "nameserver %s" % ENV["WEBSTACK_VPC_DNS_ADDRESS"] in resolv
    # The Cloud Map name answers with the running tasks' addresses (vpc_dns.py reads what ecs_tasks.py registered).
    answer = images.podman("exec", container, "python3", "-c",
                           "import socket; print(' '.join(sorted(socket.gethostbyname_ex('backend.webstack.local')[2])))"
                           ).stdout.split()
    assert answer == sorted(task_address(t) for t in running_tasks(aws, service["cluster"], SERVICE))


def test_public_ip_tasks_publish_their_container_port_on_loopback(emulators, aws, service):
    with open(os.path.join(emulators["run_dir"], "ecs-published-ports.json"), encoding="utf-8") as handle:
        published = json.load(handle)["%s/%s" % (service["cluster"], SERVICE)]
    tasks = running_tasks(aws, service["cluster"], SERVICE)
    assert sorted(p["task"] for p in published) == sorted(t["taskArn"].rsplit("/", 1)[-1] for t in tasks)
    for port in published:
        assert port["containerPort"] == 8080 and port["hostIp"] == "127.0.0.1"
        answer = http_json("http://127.0.0.1:%d/api/whoami" % port["hostPort"])
        assert answer["address"] == port["address"]


def test_secrets_reach_the_container_and_a_missing_one_stops_the_task(aws, account, service):
    for address in whoami_all(aws, service):
        assert http_json("http://%s:8080/api/config" % address)["mongodb_uri_set"] is True
    # The secret's value is in the container's environment, never on podman's command line.
    for container in labelled():
        inspected = images.podman("inspect", container, "--format", "{{json .Config.CreateCommand}}").stdout
        assert "not-a-real-password" not in inspected

    missing = account["secret_arn"][:-6] + "Nope00"
    arn = backend_task_definition(aws, image("local-0001"), missing, family="no-secret")
    aws.ecs.create_service(
        cluster=account["cluster"], serviceName="no-secret", taskDefinition=arn, desiredCount=1, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": account["subnets"][:1],
                                                      "securityGroups": [account["backend_sg"]]}})
    try:
        def stopped():
            arns = aws.ecs.list_tasks(cluster=account["cluster"], serviceName="no-secret",
                                      desiredStatus="STOPPED")["taskArns"]
            tasks = aws.ecs.describe_tasks(cluster=account["cluster"], tasks=arns)["tasks"] if arns else []
            return [t for t in tasks if t["lastStatus"] == "STOPPED"]
        task = wait_for("the task without its secret stopped", stopped, timeout=30)[0]
        assert task["stoppedReason"].startswith(
            "ResourceInitializationError: unable to pull secrets or registry auth: ")
        assert missing in task["stoppedReason"]
        assert task["stopCode"] == "TaskFailedToStart"
        described = describe_service(aws, account["cluster"], "no-secret")
        assert described["runningCount"] == 0
        assert described["deployments"][0]["rolloutState"] == "IN_PROGRESS"
        assert described["deployments"][0]["failedTasks"] >= 1
    finally:
        aws.ecs.delete_service(cluster=account["cluster"], service="no-secret", force=True)


def test_a_container_stopped_by_hand_is_replaced_and_cloud_map_follows(aws, service):
    before = running_tasks(aws, service["cluster"], SERVICE)
    victim = before[0]
    containers = images.podman("ps", "-q", "--filter", "label=" + LABEL, "--filter",
                               "label=stackops.ecs_webstack.ecs_task=%s" % victim["taskArn"]).stdout.split()
    assert len(containers) == 1
    images.podman("stop", "-t", "1", containers[0])

    def victim_stopped():
        task = aws.ecs.describe_tasks(cluster=service["cluster"], tasks=[victim["taskArn"]])["tasks"][0]
        return task if task["lastStatus"] == "STOPPED" else None
    stopped = wait_for("the stopped task reported STOPPED", victim_stopped, timeout=20)
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert stopped["stopCode"] == "EssentialContainerExited"
    victim_id = victim["taskArn"].rsplit("/", 1)[-1]
    assert victim_id not in registered(aws, service["registry_id"])

    def replaced():
        tasks = running_tasks(aws, service["cluster"], SERVICE)
        healthy = [t for t in tasks if t["healthStatus"] == "HEALTHY"]
        return healthy if len(healthy) == 2 and victim["taskArn"] not in [t["taskArn"] for t in tasks] else None
    tasks = wait_for("a replacement task runs healthy", replaced, timeout=30)

    def cloud_map_follows():
        cloud_map = registered(aws, service["registry_id"])
        wanted = dict((t["taskArn"].rsplit("/", 1)[-1], (task_address(t), "HEALTHY")) for t in tasks)
        return cloud_map == wanted
    wait_for("Cloud Map lists the two running tasks", cloud_map_follows, timeout=10)
    assert describe_service(aws, service["cluster"], SERVICE)["runningCount"] == 2


class Prober(threading.Thread):
    """Asks every registered task of the service for /api/whoami while a deployment runs, as a client of the
    Cloud Map name would; records each failure and each version that answered."""

    def __init__(self, aws, service):
        super().__init__(daemon=True)
        self.aws, self.service = aws, service
        self.done = threading.Event()
        self.versions, self.failures, self.rounds = set(), [], 0

    def run(self):
        while not self.done.is_set():
            instances = self.aws.discovery.list_instances(ServiceId=self.service["registry_id"])["Instances"]
            if not instances:
                self.failures.append("no instance registered")
            for instance in instances:
                address = instance["Attributes"]["AWS_INSTANCE_IPV4"]
                try:
                    self.versions.add(http_json("http://%s:8080/api/whoami" % address, timeout=2)["version"])
                except OSError as err:
                    self.failures.append("%s: %s" % (address, err))
            self.rounds += 1
            time.sleep(0.3)


def test_a_broken_image_fails_the_deployment_and_rolls_back_while_the_old_tasks_serve(aws, account, service):
    good = service["task_definition"]
    old_tasks = set(t["taskArn"] for t in running_tasks(aws, service["cluster"], SERVICE))
    broken = backend_task_definition(aws, image("local-broken"), account["secret_arn"] + ":uri::")
    prober = Prober(aws, service)
    prober.start()
    try:
        aws.ecs.update_service(cluster=service["cluster"], service=SERVICE, taskDefinition=broken)
        described = describe_service(aws, service["cluster"], SERVICE)
        assert described["deployments"][0]["taskDefinition"] == broken
        assert described["deployments"][0]["rolloutState"] == "IN_PROGRESS"
        assert product_ecs.steady_state(described, broken)[0] == "in_progress"

        def failed():
            found = describe_service(aws, service["cluster"], SERVICE)
            return found if any(d["rolloutState"] == "FAILED" for d in found["deployments"]) else None
        described = wait_for("the circuit breaker fails the deployment", failed, timeout=60)
        failed_deployment = [d for d in described["deployments"] if d["rolloutState"] == "FAILED"][0]
        assert failed_deployment["taskDefinition"] == broken
        assert "circuit breaker" in failed_deployment["rolloutStateReason"]
        assert failed_deployment["failedTasks"] >= 3  # min(max(ceil(0.5 * 2), 3), 200)
        assert described["taskDefinition"] == good
        assert product_ecs.steady_state(described, broken)[0] == "failed"

        def rolled_back():
            found = describe_service(aws, service["cluster"], SERVICE)
            return found if len(found["deployments"]) == 1 and found["deployments"][0]["rolloutState"] == "COMPLETED" \
                else None
        described = wait_for("the rollback completes", rolled_back, timeout=30)
        assert described["deployments"][0]["taskDefinition"] == good
        assert product_ecs.steady_state(described, broken)[0] == "rolled_back"
    finally:
        prober.done.set()
        prober.join()
    assert prober.rounds > 5
    assert prober.failures == []
    assert prober.versions == {"0001"}  # the broken tasks never became healthy, so never registered
    # The old tasks served throughout: the same two tasks run.
    assert set(t["taskArn"] for t in running_tasks(aws, service["cluster"], SERVICE)) == old_tasks


def test_a_rolling_update_ends_with_only_the_new_version_answering(aws, account, service):
    digest = account["digests"]["local-0002"]
    second = backend_task_definition(aws, image(digest=digest), account["secret_arn"] + ":uri::")
    prober = Prober(aws, service)
    prober.start()
    try:
        aws.ecs.update_service(cluster=service["cluster"], service=SERVICE, taskDefinition=second)
        described = wait_for("the rolling update completes", steady(aws, service, second), timeout=60)
    finally:
        prober.done.set()
        prober.join()
    assert [d["taskDefinition"] for d in described["deployments"]] == [second]
    answers = whoami_all(aws, service)
    assert len(answers) == 2 and set(a["version"] for a in answers.values()) == {"0002"}
    cloud_map = registered(aws, service["registry_id"])
    assert sorted(ip for ip, _health in cloud_map.values()) == sorted(answers)
    assert prober.failures == []
    assert prober.versions == {"0001", "0002"}


def test_a_moto_reset_removes_every_task_container(emulators, aws, service):
    assert len(labelled()) == 2
    urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
        "http://127.0.0.1:%d/moto-api/reset" % emulators["moto_port"], method="POST"), timeout=10).read()
    wait_for("the task containers are gone", lambda: labelled() == [], timeout=10)
    assert aws.ecs.list_clusters()["clusterArns"] == []


def test_ctl_stop_leaves_no_container_network_or_process(emulators):
    # Whatever this instance left (here a container made by hand with its label) goes with it.
    images.podman("create", "--label", LABEL, images.base_ref(), "sleep", "60")
    assert labelled("containers") and labelled("networks")
    pids = [ctl._read_pid(emulators, name) for name in ("moto", "atlas")]
    ctl.stop(emulators)
    assert labelled("containers") == []
    assert labelled("networks") == []
    assert not ctl.status(emulators)
    assert not [pid for pid in pids if pid and os.path.exists("/proc/%d" % pid)]
