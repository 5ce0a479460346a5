"""The emulated ECS service scheduler: the tasks of every ECS service in moto run as real podman containers.

Runs as a thread in the moto process (moto_launcher.py starts it when WEBSTACK_ECS_TASKS=containers) and
reads and writes moto's in-process backends directly: no HTTP calls to moto, so nothing the emulator does
appears in the request log the tests count. Blocking podman calls run in worker threads and never under
``STATE_LOCK``, the lock the ``ecs-service-tasks-follow-desired`` patch takes around moto's
CreateService/UpdateService so that a request and the scheduler never rewrite a service's deployments at once.

What is modelled, from the ECS developer guide:

* Service scheduler ("Amazon ECS services", "Service scheduler concepts"): the PRIMARY deployment runs
  desiredCount tasks; a task that stops is replaced.
* Task lifecycle ("Amazon ECS task lifecycle"): PROVISIONING -> PENDING -> RUNNING -> DEACTIVATING -> STOPPING
  -> STOPPED; desiredStatus RUNNING/STOPPED; stoppedReason and stopCode as ECS writes them
  ("Amazon ECS stopped task error messages": CannotPullContainerError, ResourceInitializationError, "Essential
  container in task exited", "Task failed container health checks").
* Container definitions ("Task definition parameters"): image, command, entryPoint, environment, secrets
  (Secrets Manager ARN with the optional ``:json-key:version-stage:version-id`` suffix, SSM parameter ARN or
  name: "Pass sensitive data to an Amazon ECS container"), portMappings, essential, healthCheck (CMD /
  CMD-SHELL, interval, timeout, retries, startPeriod: "Determine Amazon ECS task health using container
  health checks"; the task is UNHEALTHY when an essential container is), stopTimeout, user,
  workingDirectory, readonlyRootFilesystem.
* awsvpc networking ("Amazon ECS task networking for Fargate"): one ENI per task in the service's subnets
  and security groups; the security groups are podman networks (sg_networks.py), the ENI's private address
  is the container's address on the network of the first group. DNS is the VPC resolver 169.254.169.253
  (vpc_dns.py). assignPublicIp ENABLED publishes every containerPort on 127.0.0.1 (a free host port):
  ``published_ports(cluster, service)`` and the JSON file ``ecs-published-ports.json`` in the run dir.
* Rolling update ("Deploy Amazon ECS services by replacing tasks"): minimumHealthyPercent (rounded up) and
  maximumPercent (rounded down) of desiredCount bound the healthy tasks kept and the tasks run during a
  deployment; the deployment's rolloutState is IN_PROGRESS until the new tasks run healthy and the old ones
  are gone, then COMPLETED.
* Deployment circuit breaker ("How the Amazon ECS deployment circuit breaker detects failures"): failure
  threshold min(max(ceil(0.5 * desiredCount), 3), 200) failed tasks; then rolloutState FAILED and, with
  rollback, the last COMPLETED deployment is PRIMARY again.
* Service discovery ("Use service discovery to connect Amazon ECS services with DNS names"): a task of a
  service with serviceRegistries is registered in Cloud Map (instance ID = task ID, AWS_INSTANCE_IPV4,
  AWS_INSTANCE_PORT, AVAILABILITY_ZONE, ECS_* attributes) once it runs (and is healthy when it has a
  health check, which ECS reports as the custom health status), and deregistered before it is stopped.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import logging
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools", "containers"))
sys.path.insert(0, HERE)

import images  # noqa: E402  (tools/containers/images.py)
import sg_networks  # noqa: E402

LOG = logging.getLogger("ecs_tasks")

MODE_ENV = "WEBSTACK_ECS_TASKS"
# Held (briefly, never across a podman call) whenever a service's deployments or counts are rewritten.
STATE_LOCK = threading.RLock()
TASK_LABEL = "stackops.ecs_webstack.ecs_task"
VPC_DNS_ADDRESS = "169.254.169.253"
CA_BUNDLE_IN_CONTAINER = "/etc/ssl/certs/ca-certificates.crt"
PUBLISHED_PORTS_FILE = "ecs-published-ports.json"

_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$")
# A task's health check defaults (ECS HealthCheck data type).
HEALTH_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}
DEFAULT_STOP_TIMEOUT = 30  # Fargate's default stopTimeout
CONTAINER_POLL_SECONDS = 1.0  # how often a RUNNING task's containers are looked at (exits, health checks)

_RECONCILER = None


def mode() -> str:
    return os.environ.get(MODE_ENV, "instant").strip().lower() or "instant"


def containers_mode() -> bool:
    return mode() == "containers"


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def circuit_breaker_threshold(desired: int) -> int:
    """ECS: the failure threshold is min(max(ceil(0.5 * desiredCount), 3), 200) failed tasks."""
    return min(max(math.ceil(0.5 * desired), 3), 200)


class TaskStartError(Exception):
    """A task cannot start: its message is the stoppedReason, stop_code the stopCode."""

    def __init__(self, reason, stop_code="TaskFailedToStart"):
        super().__init__(reason)
        self.stop_code = stop_code


# --------------------------------------------------------------------------------------------- moto model

def _task_class():
    from moto.ecs import models

    class EmulatedTask(models.Task):
        """A moto ECS task whose state is set by the scheduler (not by moto's describe-count state manager)."""

        __module__ = "moto.ecs.models"  # moto's model registry files a model under its service's module

        def __init__(self, backend, cluster, service, deployment, task_definition):  # noqa: D107
            self._backend = backend
            self._account_id = backend.account_id
            self.region_name = backend.region_name
            self.id = uuid.uuid4().hex
            self.cluster_name = cluster.name
            self.cluster_arn = cluster.arn
            self.container_instance_arn = None
            self.desired_status = "RUNNING"
            self._last_status = "PROVISIONING"
            self.health_status = "UNKNOWN"
            self.task_definition_arn = task_definition.arn
            self.overrides = {"containerOverrides": [], "inferenceAcceleratorOverrides": []}
            self.started_by = deployment["id"]
            self.group = "service:%s" % service.name
            self.tags = list(service.tags or []) if service.propagate_tags == "SERVICE" else []
            self.launch_type = service.launch_type or "FARGATE"
            self.capacity_provider_name = None
            self.platform_version = service.platform_version or "1.4.0"
            self.platform_family = "Linux"
            self.stopped_reason = None
            self.stop_code = None
            self.resource_requirements = None
            self.cpu = task_definition.cpu
            self.memory = task_definition.memory
            self.connectivity = None
            self.created_at = _now()
            self.pull_started_at = None
            self.pull_stopped_at = None
            self.started_at = None
            self.stopping_at = None
            self.stopped_at = None
            self.connectivity_at = None
            self.availability_zone = None
            self.version = 1
            self.attachments = []
            self.network_configuration = service.network_configuration
            self.containers = [
                {
                    "containerArn": "arn:aws:ecs:%s:%s:container/%s/%s/%s" % (
                        self.region_name, self._account_id, cluster.name, self.id, uuid.uuid4()),
                    "taskArn": None,
                    "name": definition.get("name"),
                    "image": definition.get("image"),
                    "lastStatus": "PENDING",
                    "healthStatus": "UNKNOWN",
                    "networkInterfaces": [],
                    "cpu": str(definition.get("cpu", 0)),
                }
                for definition in task_definition.container_definitions
            ]
            for container in self.containers:
                container["taskArn"] = self.task_arn

        @property
        def last_status(self):
            return self._last_status

        @last_status.setter
        def last_status(self, value):
            self._last_status = value
            self.version += 1

        @property
        def status(self):
            return self._last_status

        @status.setter
        def status(self, value):
            self._last_status = value

        def advance(self):
            """moto's state manager moves a task one step per describe; a real task does not."""

    return EmulatedTask


_EMULATED_TASK = None


def emulated_task_class():
    global _EMULATED_TASK
    if _EMULATED_TASK is None:
        _EMULATED_TASK = _task_class()
    return _EMULATED_TASK


# --------------------------------------------------------------------------------------------- resolution

def resolve_image(account: str, region: str, image: str) -> str:
    """The local podman image that an ECS container's ``image`` names; TaskStartError (CannotPullContainerError,
    as ECS reports an image it cannot pull) when the tag or digest is not in ECR or has no local build."""
    from moto.ecr.models import ecr_backends

    def cannot_pull(why):
        return TaskStartError(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref %s: %s"
            % (image, why))

    match = _ECR_IMAGE.match(image or "")
    if not match:
        if image and image.startswith("localhost/") and images.image_exists(image):
            return image
        raise cannot_pull("not found (no registry is reachable from the emulator)")
    registry, image_region, repository_name, tag, digest = match.groups()
    tag = tag if tag or digest else "latest"
    backend = ecr_backends[registry][image_region]
    repository = backend.repositories.get(repository_name)
    if repository is None:
        raise cannot_pull("repository %s not found" % repository_name)
    tags = []
    for stored in list(repository.images):
        if digest and stored.image_digest == digest:
            tags.extend(stored.image_tags)
        elif not digest and tag in stored.image_tags:
            tags.append(tag)
    if not tags:
        raise cannot_pull("%s not found" % (digest or tag))
    for candidate in tags:
        ref = images.local_image(repository_name, candidate)
        if images.image_exists(ref):
            return ref
    raise cannot_pull("no local build of %s:%s (tools/containers/images.py)" % (repository_name, tags[0]))


def _secret_error(value_from, service, why):
    kind = "asm" if service == "secretsmanager" else "ssm"
    return TaskStartError(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secret from %s: service call has been retried 1 time(s): failed to fetch "
        "secret %s: %s" % (kind, value_from, why))


def resolve_secret(account: str, region: str, value_from: str) -> str:
    """The value of one ``secrets`` entry, read from moto's in-process Secrets Manager or SSM backend (ECS,
    "Pass sensitive data to an Amazon ECS container"). Never logged."""
    if ":secretsmanager:" in value_from:
        from moto.secretsmanager.models import secretsmanager_backends

        parts = value_from.split(":")
        arn, extra = ":".join(parts[:7]), parts[7:] + ["", "", ""]
        json_key, stage, version = extra[0], extra[1], extra[2]
        secret_region, secret_account = parts[3], parts[4]
        backend = secretsmanager_backends[secret_account][secret_region]
        try:
            answer = backend.get_secret_value(arn, version or None, stage or None)
        except Exception as err:  # noqa: BLE001 - any failure stops the task as ECS does
            raise _secret_error(value_from, "secretsmanager", "%s: %s" % (
                type(err).__name__, getattr(err, "message", None) or "Secrets Manager can't find the specified secret.")
            ) from None
        text = answer.get("SecretString")
        if text is None:
            raise _secret_error(value_from, "secretsmanager", "the secret has no SecretString")
        if not json_key:
            return text
        try:
            return str(json.loads(text)[json_key])
        except (ValueError, KeyError, TypeError):
            raise _secret_error(value_from, "secretsmanager", "the JSON key %s is not in the secret" % json_key) from None
    from moto.ssm.models import ssm_backends

    name = value_from
    ssm_account, ssm_region = account, region
    if value_from.startswith("arn:"):
        parts = value_from.split(":", 5)
        ssm_region, ssm_account = parts[3], parts[4]
        name = parts[5].split("parameter", 1)[1]  # "/name" or "/path/name"
    backend = ssm_backends[ssm_account][ssm_region]
    for candidate in (name, name.lstrip("/")) if name.startswith("/") else (name, "/" + name):
        try:
            found = backend.get_parameter(candidate)
        except Exception:  # noqa: BLE001
            found = None
        if found is not None:  # ECS decrypts a SecureString with the execution role
            return found.decrypt(found.value) if found.parameter_type == "SecureString" else found.value
    raise _secret_error(value_from, "ssm", "ParameterNotFound")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ------------------------------------------------------------------------------------------------- tasks

class TaskRun:
    """One task the scheduler started: its moto task, its containers and what is known of their health."""

    def __init__(self, instance, backend, service, deployment, task_definition, task, subnet, zone):
        self.backend = backend
        self.service = service
        self.service_key = "%s:%s" % (service.cluster_name, service.name)
        self.deployment_id = deployment["id"]
        self.task_definition = task_definition
        self.task = task
        self.subnet = subnet
        self.zone = zone
        self.state = "PROVISIONING"  # PROVISIONING, RUNNING, STOPPING, STOPPED
        self.busy = False  # a start or stop job runs
        self.failed = False  # stopped for a failure (counted by the circuit breaker)
        self.address = None
        self.eni_id = None
        self.ports = []  # [{"containerPort", "hostPort", "hostIp"}]
        self.registered = []  # [(servicediscovery backend, registry service id)]
        self.started_monotonic = None
        prefix = "ecs-%s-%s" % (instance, task.id[:12])
        self.containers = []
        for definition in task_definition.container_definitions:
            check = definition.get("healthCheck")
            self.containers.append({
                "definition": definition,
                "podman_name": "%s-%s" % (prefix, re.sub(r"[^A-Za-z0-9_.-]", "-", definition.get("name") or "c")),
                "essential": definition.get("essential", True) is not False,
                "check": dict(HEALTH_DEFAULTS, **check) if check and check.get("command") else None,
                "health": "UNKNOWN",
                "failures": 0,
                "next_check": 0.0,
                "checking": False,
            })

    @property
    def healthy(self):
        """Serving: RUNNING, and HEALTHY when an essential container has a health check (ECS counts a task
        without health checks as healthy once it runs)."""
        checked = any(c["check"] for c in self.containers if c["essential"])
        return self.state == "RUNNING" and (self.task.health_status == "HEALTHY" or not checked)


class Reconciler(threading.Thread):
    """Drives ECS services in moto's backends from real containers; ``stop()`` removes them all."""

    def __init__(self, instance: str, run_dir: str, ca_bundle: str | None = None, interval: float = 0.5):
        super().__init__(name="ecs-tasks", daemon=True)
        self.instance = str(instance)
        self.run_dir = run_dir
        self.ca_bundle = ca_bundle
        self.interval = interval
        self.runs: dict[str, TaskRun] = {}  # task id -> run
        self.service_memory: dict[int, dict] = {}  # id(service) -> scheduler memory (backoff, events)
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=6, thread_name_prefix="ecs-task")
        self._stopping = threading.Event()
        self._published_written = None
        self._last_poll = 0.0

    # ------------------------------------------------------------------------------------ life cycle
    def stop(self):
        self._stopping.set()
        self.join(timeout=10)
        self.remove_all()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def remove_all(self):
        """Remove every task container of this instance at once (moto reset, DeleteCluster, shutdown)."""
        found = images.podman("ps", "-aq", "--filter", "label=%s=%s" % (sg_networks.OWNER_LABEL, self.instance),
                              "--filter", "label=%s" % TASK_LABEL, check=False)
        ids = (found.stdout or "").split()
        if ids:
            images.podman("rm", "-f", "-t", "0", *ids, check=False)

    def run(self):
        self.remove_all()  # what a previous moto process of this instance left behind
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must survive one bad service
                LOG.exception("ecs_tasks: tick failed")
            self._stopping.wait(max(0.05, self.interval - (time.monotonic() - started)))

    # ------------------------------------------------------------------------------------ one pass
    def tick(self):
        from moto.ecs.models import ecs_backends

        # Worker threads only mark a run STOPPED; the runs table is changed by this thread alone.
        for task_id, run in list(self.runs.items()):
            if run.state == "STOPPED" and not run.busy:
                del self.runs[task_id]

        # Only the tasks RUNNING before `podman ps` ran are judged by its answer (a task whose start job
        # finishes meanwhile is not in it).
        # `podman ps` (the containers' states, ~0.1 s of CPU) at most every CONTAINER_POLL_SECONDS.
        watched = set()
        if time.monotonic() - self._last_poll >= CONTAINER_POLL_SECONDS:
            watched = set(r.task.id for r in self.runs.values() if r.state == "RUNNING" and not r.busy)
        states = self._container_states() if watched else None
        if watched:
            self._last_poll = time.monotonic()
        states = {"watched": watched, "containers": states}
        seen = set()
        for _account, regions in list(dict.items(ecs_backends)):
            for _region, backend in list(dict.items(regions)):
                for key, service in list(backend.services.items()):
                    seen.add(id(service))
                    cluster = backend.clusters.get(service.cluster_name)
                    self._reconcile(backend, cluster, service, states)
        for run in list(self.runs.values()):
            if id(run.service) not in seen or run.backend.services.get(run.service_key) is not run.service:
                self._discard(run)  # moto reset or the service is gone from moto: nothing to drain
        self._write_published()

    def _container_states(self):
        found = images.podman("ps", "-a", "--format", "json", "--filter",
                              "label=%s=%s" % (sg_networks.OWNER_LABEL, self.instance), "--filter",
                              "label=%s" % TASK_LABEL, check=False)
        if found.returncode != 0:
            return None
        states = {}
        for entry in json.loads(found.stdout or "[]"):
            for name in entry.get("Names") or []:
                states[name] = entry
        return states

    # ------------------------------------------------------------------------------------ scheduler
    def _reconcile(self, backend, cluster, service, states):
        runs = [r for r in self.runs.values() if r.service is service]
        for run in runs:
            self._watch(run, states)
        memory = self.service_memory.setdefault(id(service), {"failures_in_row": 0, "not_before": 0.0})
        active = service.status == "ACTIVE" and cluster is not None and cluster.status == "ACTIVE"
        desired = service.desired_count if active else 0
        with STATE_LOCK:
            deployments = list(service.deployments or [])
        if not deployments:
            return
        primary = deployments[0]
        config = getattr(service, "deployment_configuration", None) or {}
        min_healthy = math.ceil(desired * int(config.get("minimumHealthyPercent", 100)) / 100.0)
        max_total = math.floor(desired * int(config.get("maximumPercent", 200)) / 100.0)
        max_total = max(max_total, 1) if desired else 0

        live = [r for r in runs if r.state in ("PROVISIONING", "RUNNING")]
        new = [r for r in live if r.deployment_id == primary["id"]]
        old = [r for r in live if r.deployment_id != primary["id"]]
        healthy = [r for r in live if r.healthy]

        if not active:
            for run in live:
                self._begin_stop(run, "Service %s deleted" % service.name if service.status != "ACTIVE"
                                 else "Cluster %s is inactive" % service.cluster_name, "ServiceSchedulerInitiated")
        else:
            # Scale in first: surplus tasks of the PRIMARY deployment, the least healthy first.
            surplus = len(new) - desired
            for run in sorted(new, key=lambda r: (r.healthy, r.state == "RUNNING"))[:max(surplus, 0)]:
                self._begin_stop(run, "Scaling activity initiated by (deployment %s)" % primary["id"],
                                 "ServiceSchedulerInitiated")
                new.remove(run)
                live.remove(run)
            # Old tasks that do not serve can go at once; healthy ones while enough healthy tasks remain.
            healthy_count = len(healthy)
            for run in sorted(old, key=lambda r: (r.healthy, r.state == "RUNNING")):
                if run.healthy:
                    if healthy_count - 1 < min_healthy:
                        continue
                    healthy_count -= 1
                self._begin_stop(run, "Scaling activity initiated by (deployment %s)" % primary["id"],
                                 "ServiceSchedulerInitiated")
                live.remove(run)
            # Start PRIMARY tasks up to desiredCount, never more than maximumPercent in all.
            wanted = min(desired - len(new), max_total - len(live))
            if wanted > 0 and time.monotonic() >= memory["not_before"]:
                for _ in range(wanted):
                    self._begin_start(backend, cluster, service, primary)

        self._account(service, memory)

    def _account(self, service, memory):
        """Write the counts and rollout state ECS reports in DescribeServices."""
        runs = [r for r in self.runs.values() if r.service is service]
        with STATE_LOCK:
            deployments = list(service.deployments or [])
            if not deployments:
                return
            primary = deployments[0]
            desired = service.desired_count if service.status == "ACTIVE" else 0
            for deployment in deployments:
                mine = [r for r in runs if r.deployment_id == deployment["id"]]
                deployment["runningCount"] = sum(1 for r in mine if r.state == "RUNNING")
                deployment["pendingCount"] = sum(1 for r in mine if r.state == "PROVISIONING")
                deployment["desiredCount"] = desired if deployment is primary else deployment["runningCount"]
            service.running_count = sum(1 for r in runs if r.state == "RUNNING")
            service.pending_count = sum(1 for r in runs if r.state == "PROVISIONING")

            failed = deployment_failures(primary)
            breaker = ((getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker")
                       or {})
            if (primary.get("rolloutState") == "IN_PROGRESS" and breaker.get("enable")
                    and failed >= circuit_breaker_threshold(desired)):
                self._trip_circuit_breaker(service, deployments, bool(breaker.get("rollback")))
                return
            others_live = [r for r in runs if r.deployment_id != primary["id"] and r.state != "STOPPED"]
            new_healthy = [r for r in runs if r.deployment_id == primary["id"] and r.healthy]
            if (primary.get("rolloutState") == "IN_PROGRESS" and len(new_healthy) == desired and not others_live
                    and service.status == "ACTIVE"):
                primary["rolloutState"] = "COMPLETED"
                primary["rolloutStateReason"] = "ECS deployment %s completed." % primary["id"]
                primary["updatedAt"] = _now()
                service.deployments = [primary]
                _event(service, "(service %s) has reached a steady state." % service.name)
                _event(service, "(service %s) (deployment %s) deployment completed." % (service.name, primary["id"]))
            elif primary.get("rolloutState") in ("COMPLETED", "FAILED") and len(deployments) > 1:
                # Deployments whose tasks are all gone leave the list (ECS shows only those with tasks).
                keep = [primary] + [d for d in deployments[1:] if any(
                    r.deployment_id == d["id"] and r.state != "STOPPED" for r in runs)]
                if len(keep) != len(deployments):
                    service.deployments = keep

    def _trip_circuit_breaker(self, service, deployments, rollback):
        primary = deployments[0]
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        primary["updatedAt"] = _now()
        _event(service, "(service %s) (deployment %s) deployment failed: tasks failed to start."
               % (service.name, primary["id"]))
        if not rollback:
            return
        target = next((d for d in deployments[1:] if d.get("rolloutState") == "COMPLETED"), None)
        if target is None:
            return
        # The last COMPLETED deployment is PRIMARY again; its tasks kept serving and are kept.
        primary["status"] = "ACTIVE"
        target["status"] = "PRIMARY"
        target["rolloutState"] = "IN_PROGRESS"
        target["rolloutStateReason"] = "ECS deployment circuit breaker: rolling back to deploymentId %s." % target["id"]
        target["updatedAt"] = _now()
        service.task_definition = target["taskDefinition"]
        service.deployments = [target, primary] + [d for d in deployments[1:] if d is not target]
        _event(service, "(service %s) (deployment %s) rolling back to deployment %s."
               % (service.name, primary["id"], target["id"]))

    # ------------------------------------------------------------------------------------ watching
    def _watch(self, run, states):
        """Notice exited essential containers and run the due health checks of a RUNNING task."""
        if run.state != "RUNNING" or run.busy or run.task.id not in states["watched"]:
            return
        containers = states["containers"]
        if containers is None:
            return  # podman ps failed this pass: decide nothing
        for container in run.containers:
            state = containers.get(container["podman_name"])
            if state is None or state.get("State") != "running" or state.get("Exited"):
                exit_code = (state or {}).get("ExitCode")
                with STATE_LOCK:
                    for reported in run.task.containers:
                        if reported["name"] == container["definition"].get("name"):
                            reported["lastStatus"] = "STOPPED"
                            reported["exitCode"] = exit_code
                if container["essential"]:
                    self._begin_stop(run, "Essential container in task exited", "EssentialContainerExited", failed=True)
                    return
        now = time.monotonic()
        for container in run.containers:
            check = container["check"]
            if check and not container["checking"] and now >= container["next_check"]:
                container["checking"] = True
                container["next_check"] = now + float(check["interval"])
                self.pool.submit(self._health_check, run, container)
        health = self._task_health(run)
        if health != run.task.health_status:
            with STATE_LOCK:
                run.task.health_status = health
        if health == "UNHEALTHY":
            self._begin_stop(run, "Task failed container health checks", "ServiceSchedulerInitiated", failed=True)
            return
        if run.healthy and not run.registered:
            # A task that runs healthy ends the run of failures the scheduler throttles.
            self.service_memory.get(id(run.service), {})["failures_in_row"] = 0
            self._register(run)

    @staticmethod
    def _task_health(run):
        """ECS: the task is UNHEALTHY if an essential container is, HEALTHY when all essential containers with a
        health check are, else UNKNOWN (non-essential containers do not count)."""
        checked = [c for c in run.containers if c["essential"] and c["check"]]
        if any(c["health"] == "UNHEALTHY" for c in checked):
            return "UNHEALTHY"
        if checked and all(c["health"] == "HEALTHY" for c in checked):
            return "HEALTHY"
        return "UNKNOWN"

    def _health_check(self, run, container):
        check = container["check"]
        command = list(check["command"])
        if command and command[0] == "CMD-SHELL":
            argv = ["/bin/sh", "-c", " ".join(command[1:])]
        elif command and command[0] == "CMD":
            argv = command[1:]
        else:
            argv = command
        try:
            result = subprocess.run(["podman", "exec", container["podman_name"], *argv], env=images.podman_env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    timeout=float(check["timeout"]), check=False)
            passed = result.returncode == 0
        except subprocess.TimeoutExpired:
            passed = False
        in_start_period = time.monotonic() - (run.started_monotonic or 0) < float(check["startPeriod"])
        if passed:
            container["health"] = "HEALTHY"
            container["failures"] = 0
        elif not in_start_period:  # ECS: failures during the start period are not counted
            container["failures"] += 1
            if container["failures"] >= int(check["retries"]):
                container["health"] = "UNHEALTHY"
        with STATE_LOCK:
            for reported in run.task.containers:
                if reported["name"] == container["definition"].get("name"):
                    reported["healthStatus"] = container["health"]
        container["checking"] = False

    # ------------------------------------------------------------------------------------ starting
    def _begin_start(self, backend, cluster, service, deployment):
        try:
            task_definition = backend.describe_task_definition(deployment["taskDefinition"])
        except Exception:  # noqa: BLE001 - a deleted task definition starts nothing
            return
        awsvpc = (service.network_configuration or {}).get("awsvpcConfiguration") or {}
        subnet_ids = awsvpc.get("subnets") or []
        subnet, zone = None, backend.region_name + "a"
        if subnet_ids:
            from moto.ec2.models import ec2_backends

            count = sum(1 for r in self.runs.values() if r.service is service)
            subnet = subnet_ids[count % len(subnet_ids)]
            try:
                zone = ec2_backends[backend.account_id][backend.region_name].get_subnet(subnet).availability_zone
            except Exception:  # noqa: BLE001
                pass
        task = emulated_task_class()(backend, cluster, service, deployment, task_definition)
        task.availability_zone = zone
        run = TaskRun(self.instance, backend, service, deployment, task_definition, task, subnet, zone)
        with STATE_LOCK:
            tasks = dict(backend.tasks.get(cluster.name) or {})
            tasks[task.task_arn] = task
            backend.tasks[cluster.name] = tasks  # a new dict: a concurrent ListTasks iterates the old one
        self.runs[task.id] = run
        run.busy = True
        _event(service, "(service %s) has started 1 tasks: (task %s)." % (service.name, task.id))
        self.pool.submit(self._start, run, awsvpc)

    def _start(self, run, awsvpc):
        try:
            self._start_containers(run, awsvpc)
        except TaskStartError as err:
            self._stopped(run, str(err), err.stop_code, failed=True)
            self._remove_containers(run, 0)
        except Exception as err:  # noqa: BLE001 - a broken podman call fails the task, not the scheduler
            LOG.exception("ecs_tasks: starting task %s failed", run.task.id)
            self._stopped(run, "ResourceInitializationError: %s" % str(err).splitlines()[0], "TaskFailedToStart",
                          failed=True)
            self._remove_containers(run, 0)
        finally:
            run.busy = False

    def _start_containers(self, run, awsvpc):
        account, region = run.backend.account_id, run.backend.region_name
        task = run.task
        with STATE_LOCK:
            task.last_status = "PENDING"
            task.pull_started_at = _now()
        refs = [resolve_image(account, region, c["definition"].get("image")) for c in run.containers]
        secret_values = []
        for container in run.containers:
            values = {}
            for secret in container["definition"].get("secrets") or []:
                values[secret["name"]] = resolve_secret(account, region, secret["valueFrom"])
            secret_values.append(values)
        with STATE_LOCK:
            task.pull_stopped_at = _now()
        group_ids = list(awsvpc.get("securityGroups") or [])
        networks = []
        if group_ids:
            networks = sg_networks.networks_for(self.instance, sg_networks.groups_from_moto(account, region),
                                                group_ids)
            for name in networks:
                sg_networks.ensure_network(images.podman, name, self.instance)
        publish = (awsvpc.get("assignPublicIp") or "DISABLED") == "ENABLED"
        first = None
        for container, ref, secrets in zip(run.containers, refs, secret_values):
            definition = container["definition"]
            args = ["run", "-d", "--name", container["podman_name"],
                    "--label", "%s=%s" % (sg_networks.OWNER_LABEL, self.instance),
                    "--label", "%s=%s" % (TASK_LABEL, task.task_arn),
                    "--stop-timeout", str(definition.get("stopTimeout") or DEFAULT_STOP_TIMEOUT)]
            if first is None:
                for name in networks:
                    args += ["--network", name]
                args += ["--dns", os.environ.get("WEBSTACK_VPC_DNS_ADDRESS") or VPC_DNS_ADDRESS]
            else:  # awsvpc: the containers of a task share its network namespace (one ENI)
                args += ["--network", "container:%s" % first]
            if publish:
                for mapping in definition.get("portMappings") or []:
                    host_port = _free_port()
                    args += ["-p", "127.0.0.1:%d:%d" % (host_port, int(mapping["containerPort"]))]
                    run.ports.append({"container": definition.get("name"), "containerPort": int(mapping["containerPort"]),
                                      "hostIp": "127.0.0.1", "hostPort": host_port})
            for pair in definition.get("environment") or []:
                args += ["--env", "%s=%s" % (pair["name"], pair.get("value", ""))]
            for name in secrets:
                args += ["--env", name]  # the value comes from podman's environment, never argv
            if self.ca_bundle and os.path.exists(self.ca_bundle):
                args += ["-v", "%s:%s:ro" % (self.ca_bundle, CA_BUNDLE_IN_CONTAINER),
                         "--env", "SSL_CERT_FILE=%s" % CA_BUNDLE_IN_CONTAINER]
            if definition.get("user"):
                args += ["--user", definition["user"]]
            if definition.get("workingDirectory"):
                args += ["--workdir", definition["workingDirectory"]]
            if definition.get("readonlyRootFilesystem"):
                args += ["--read-only"]
            entry_point = definition.get("entryPoint")
            if entry_point:
                args += ["--entrypoint", json.dumps(entry_point)]
            args.append(ref)
            args += list(definition.get("command") or [])
            result = subprocess.run(["podman", *args], env=dict(images.podman_env(), **secrets),
                                    capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise TaskStartError("CannotStartContainerError: %s" % (result.stderr or "").strip().splitlines()[-1:])
            if first is None:
                first = container["podman_name"]
        inspected = json.loads(images.podman("inspect", first).stdout)[0]
        run.address = sg_networks.address_for(self.instance, inspected, group_ids) if group_ids else (
            (inspected.get("NetworkSettings") or {}).get("IPAddress"))
        run.started_monotonic = time.monotonic()
        # Docker (which the ECS agent hands the check to) runs a container's first health check one interval
        # after the container starts, not at once (Dockerfile reference, HEALTHCHECK; ECS HealthCheck has no
        # start interval): a task is HEALTHY no sooner than that.
        for container in run.containers:
            if container["check"]:
                container["next_check"] = run.started_monotonic + float(container["check"]["interval"])
        eni_id = self._create_eni(run, group_ids)
        with STATE_LOCK:
            task.attachments = [{
                "id": str(uuid.uuid4()), "type": "ElasticNetworkInterface", "status": "ATTACHED",
                "details": [d for d in (
                    {"name": "subnetId", "value": run.subnet},
                    {"name": "networkInterfaceId", "value": eni_id},
                    {"name": "privateIPv4Address", "value": run.address},
                ) if d["value"]],
            }]
            for reported in task.containers:
                reported["lastStatus"] = "RUNNING"
                reported["runtimeId"] = inspected.get("Id")
                reported["networkInterfaces"] = [{"attachmentId": task.attachments[0]["id"],
                                                  "privateIpv4Address": run.address}]
            task.connectivity = "CONNECTED"
            task.connectivity_at = _now()
            task.started_at = _now()
            task.last_status = "RUNNING"
        run.state = "RUNNING"

    def _create_eni(self, run, group_ids):
        """The task's ENI in moto's EC2 backend (AWS creates one per awsvpc task and deletes it when it stops)."""
        if not run.subnet:
            return None
        try:
            from moto.ec2.models import ec2_backends

            ec2 = ec2_backends[run.backend.account_id][run.backend.region_name]
            eni = ec2.create_network_interface(subnet=run.subnet, private_ip_address=run.address, group_ids=group_ids,
                                               description="arn:aws:ecs:%s:%s:attachment/%s" % (
                                                   run.backend.region_name, run.backend.account_id, run.task.id))
            eni.status = "in-use"
            run.eni_id = eni.id
            return eni.id
        except Exception:  # noqa: BLE001 - the ENI is bookkeeping; the task runs without it
            LOG.exception("ecs_tasks: no ENI for task %s", run.task.id)
            return None

    # ------------------------------------------------------------------------------------ Cloud Map
    def _register(self, run):
        from moto.servicediscovery.models import servicediscovery_backends

        service = run.service
        family = run.task_definition.family
        backend = servicediscovery_backends[run.backend.account_id][run.backend.region_name]
        for registry in service.service_registries or []:
            registry_id = registry["registryArn"].rsplit("/", 1)[-1]
            attributes = {
                "AWS_INSTANCE_IPV4": run.address,
                "AVAILABILITY_ZONE": run.zone,
                "AWS_INIT_HEALTH_STATUS": "HEALTHY",
                "ECS_CLUSTER_NAME": service.cluster_name,
                "ECS_SERVICE_NAME": service.name,
                "ECS_TASK_DEFINITION_FAMILY": family,
            }
            port = registry.get("port") or registry.get("containerPort")
            if port:
                attributes["AWS_INSTANCE_PORT"] = str(port)
            try:
                registered = backend.get_service(registry_id)
                backend.register_instance(registry_id, run.task.id, run.task.id, attributes)
                if registered.health_check_custom_config is not None:
                    # ECS reports the container health check as the instance's custom health status.
                    backend.update_instance_custom_health_status(registry_id, run.task.id, "HEALTHY")
                run.registered.append((backend, registry_id))
            except Exception:  # noqa: BLE001 - a registry deleted under the service registers nothing
                LOG.warning("ecs_tasks: task %s not registered in %s", run.task.id, registry_id)
        if not run.registered:
            run.registered.append((None, None))  # tried: do not try on every pass

    @staticmethod
    def _deregister(run):
        for backend, registry_id in run.registered:
            if backend is None:
                continue
            try:
                backend.deregister_instance(registry_id, run.task.id)
            except Exception:  # noqa: BLE001 - already gone
                pass
        run.registered = []

    # ------------------------------------------------------------------------------------ stopping
    def _begin_stop(self, run, reason, stop_code, failed=False):
        if run.state in ("STOPPING", "STOPPED"):
            return
        if run.busy:  # still starting: stop once the start job is done
            return
        self._deregister(run)  # ECS drains: the task leaves Cloud Map before its containers get SIGTERM
        run.state = "STOPPING"
        run.failed = failed
        run.busy = True
        with STATE_LOCK:
            run.task.desired_status = "STOPPED"
            run.task.stopped_reason = reason
            run.task.stop_code = stop_code
            run.task.stopping_at = _now()
            run.task.last_status = "DEACTIVATING"
            if failed:
                _count_failure(run)
        memory = self.service_memory.setdefault(id(run.service), {"failures_in_row": 0, "not_before": 0.0})
        if failed:
            memory["failures_in_row"] += 1
            # ECS throttles a service whose tasks keep failing; the first few retry at once.
            if memory["failures_in_row"] > 3:
                memory["not_before"] = time.monotonic() + min(5 * 2 ** (memory["failures_in_row"] - 4), 60)
        _event(run.service, "(service %s) has stopped 1 running tasks: (task %s)." % (run.service.name, run.task.id))
        self.pool.submit(self._stop_task, run)

    def _stop_task(self, run):
        try:
            with STATE_LOCK:
                run.task.last_status = "STOPPING"
            timeout = max(int(c["definition"].get("stopTimeout") or DEFAULT_STOP_TIMEOUT) for c in run.containers)
            self._remove_containers(run, timeout)
            self._stopped(run, run.task.stopped_reason, run.task.stop_code, failed=run.failed, counted=True)
        finally:
            run.busy = False

    def _stopped(self, run, reason, stop_code, failed, counted=False):
        self._deregister(run)
        if run.eni_id:
            try:
                from moto.ec2.models import ec2_backends

                ec2_backends[run.backend.account_id][run.backend.region_name].delete_network_interface(run.eni_id)
            except Exception:  # noqa: BLE001
                pass
        with STATE_LOCK:
            task = run.task
            task.desired_status = "STOPPED"
            task.stopped_reason = reason
            task.stop_code = stop_code
            task.stopping_at = task.stopping_at or _now()
            task.stopped_at = _now()
            task.last_status = "STOPPED"
            for reported in task.containers:
                reported["lastStatus"] = "STOPPED"
            if failed and not counted:
                _count_failure(run)
        if failed and not counted:
            memory = self.service_memory.setdefault(id(run.service), {"failures_in_row": 0, "not_before": 0.0})
            memory["failures_in_row"] += 1
            if memory["failures_in_row"] > 3:
                memory["not_before"] = time.monotonic() + min(5 * 2 ** (memory["failures_in_row"] - 4), 60)
            _event(run.service, "(service %s) (task %s) failed to start: %s" % (run.service.name, run.task.id, reason))
        run.state = "STOPPED"

    def _remove_containers(self, run, timeout):
        names = [c["podman_name"] for c in run.containers]
        if timeout:
            images.podman("stop", "-t", str(timeout), *reversed(names), check=False)
        images.podman("rm", "-f", "-t", "0", *names, check=False)

    def _discard(self, run):
        """The service (or all of moto) is gone: remove the containers without draining."""
        self.runs.pop(run.task.id, None)
        run.state = "STOPPED"
        self.pool.submit(self._remove_containers, run, 0)

    # ------------------------------------------------------------------------------------ published ports
    def published(self):
        out = {}
        for run in list(self.runs.values()):
            if run.ports and run.state == "RUNNING":
                key = "%s/%s" % (run.service.cluster_name, run.service.name)
                out.setdefault(key, []).extend(dict(p, task=run.task.id, address=run.address) for p in run.ports)
        return out

    def _write_published(self):
        current = self.published()
        if current == self._published_written:
            return
        path = os.path.join(self.run_dir, PUBLISHED_PORTS_FILE)
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(current, handle, indent=1, sort_keys=True)
        os.replace(temporary, path)
        self._published_written = current


def deployment_failures(deployment) -> int:
    return int(deployment.get("failedTasks") or 0)


def _count_failure(run):
    for deployment in run.service.deployments or []:
        if deployment["id"] == run.deployment_id:
            deployment["failedTasks"] = deployment_failures(deployment) + 1


def _event(service, message):
    """Service events, newest first (DescribeServices Service.events), at most 100 kept."""
    with STATE_LOCK:
        service.events = [{"id": str(uuid.uuid4()), "createdAt": _now(), "message": message}] + list(
            service.events or [])[:99]


def published_ports(cluster: str, service: str) -> list:
    """Host ports published for the RUNNING tasks of a service with assignPublicIp ENABLED:
    [{"task", "container", "containerPort", "hostIp", "hostPort", "address"}]. In the moto process only;
    other processes read ``<run dir>/ecs-published-ports.json`` (key "<cluster>/<service>")."""
    if _RECONCILER is None:
        return []
    return _RECONCILER.published().get("%s/%s" % (cluster, service), [])


def start(instance: str, run_dir: str, ca_bundle: str | None = None) -> Reconciler:
    """Start the scheduler thread of this moto process (one per process)."""
    global _RECONCILER
    if _RECONCILER is None:
        _RECONCILER = Reconciler(instance, run_dir, ca_bundle)
        _RECONCILER.start()
    return _RECONCILER
