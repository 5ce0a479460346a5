# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task definition revisions and rollout waits shared by the collection's ECS modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

# Fields of DescribeTaskDefinition's answer that RegisterTaskDefinition takes back unchanged.
REGISTRABLE_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


def registrable(task_definition):
    """The part of a described task definition that can be registered again as a new revision."""
    return dict((key, task_definition[key]) for key in REGISTRABLE_FIELDS if task_definition.get(key) not in (None, [], {}))


def recent_events(service, count=8):
    """The service's newest events as 'time message' lines, for error messages."""
    lines = []
    for event in service.get("events", [])[:count]:
        created = event.get("createdAt")
        stamp = created.isoformat() if hasattr(created, "isoformat") else str(created or "")
        lines.append("{0} {1}".format(stamp, event.get("message", "")))
    return lines


def rollout_state(service, task_definition_arn):
    """Return 'done', 'failed', 'rolled_back' or 'in_progress' for a rollout to task_definition_arn.

    ECS reports a deployment's rolloutState (COMPLETED/FAILED/IN_PROGRESS) when the deployment
    circuit breaker or the ECS deployment controller tracks it; without it, a rollout is done when
    the new revision is the only deployment and runs the desired count.
    """
    deployments = service.get("deployments", [])
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    if primary and primary[0].get("taskDefinition") != task_definition_arn:
        return "rolled_back"
    ours = [d for d in deployments if d.get("taskDefinition") == task_definition_arn]
    if not ours:
        return "rolled_back"
    state = ours[0].get("rolloutState")
    if state == "FAILED":
        return "failed"
    if state == "COMPLETED" and len(deployments) == 1:
        return "done"
    if state in (None, "") and len(deployments) == 1 and service.get("runningCount", 0) >= service.get("desiredCount", 0):
        return "done"
    return "in_progress"


def wait_for_rollout(module, client, cluster, service_name, task_definition_arn, timeout, delay=5, sleep=time.sleep):
    """Poll until the rollout of task_definition_arn is done; fail the module with the events if not."""
    deadline = time.time() + timeout
    while True:
        service = client.describe_services(cluster=cluster, services=[service_name])["services"][0]
        state = rollout_state(service, task_definition_arn)
        if state == "done":
            return service
        if state in ("failed", "rolled_back") or time.time() >= deadline:
            reason = {
                "failed": "the deployment failed",
                "rolled_back": "the deployment circuit breaker rolled back to the previous revision",
                "in_progress": "the rollout did not finish within {0} seconds".format(timeout),
            }[state]
            module.fail_json(
                msg=(
                    "Service {0} in cluster {1}: {2}. Recent service events (newest first) say why; "
                    "fix the image or task settings and deploy again."
                ).format(service_name, cluster, reason),
                events=recent_events(service),
                rollout=state,
                task_definition_arn=task_definition_arn,
            )
        sleep(delay)
