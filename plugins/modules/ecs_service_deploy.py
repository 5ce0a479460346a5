#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_service_deploy
short_description: Create, update, wait for and delete an ECS service, comparing every field it manages
version_added: 0.1.0
description:
  - Creates an ECS service or updates it in place (C(UpdateService)) when any field it manages differs from what
    is asked - task definition, desired count, capacity provider strategy, deployment configuration (min/max
    healthy percent, circuit breaker with rollback), awsvpc network configuration, Cloud Map service registries,
    load balancers, health check grace period, tag propagation, ECS Exec, platform version - and the tags.
  - With I(autoscaling=true) the desired count is set only when the service is created; afterwards it belongs to
    Application Auto Scaling and is never reset.
  - Waits until the deployment is steady (one PRIMARY deployment of the new task definition, rollout
    C(COMPLETED), running count equal to desired), with the same wait as M(stackops.ecs_webstack.ecs_image_rollout).
    When the rollout fails or the deployment circuit breaker rolls back to the previous task definition, the module
    fails and returns the service's recent events, which say why (failed health checks, image pull errors, ...).
  - I(state=absent) scales the service to 0, deletes it and waits until it is C(INACTIVE), then deregisters the
    service's Application Auto Scaling scalable target, which deleting the service leaves behind. With
    I(task_definition_family) it then removes every revision of that family as well (see there).
  - Written because C(community.aws.ecs_service) cannot update C(service_registries) of an existing service,
    does not compare the deployment configuration or the capacity provider strategy (changes are silently
    ignored), fails when a service moves from a launch type to a capacity provider strategy, and its wait does
    not detect a circuit breaker rollback.
options:
  cluster:
    description: Name or ARN of the cluster.
    type: str
    required: true
  name:
    description: Name of the service.
    type: str
    required: true
  state:
    description: Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description: ARN (or C(family:revision)) of the task definition to run. Required with I(state=present).
    type: str
  desired_count:
    description: Number of tasks. With I(autoscaling=true) only used when the service is created.
    type: int
    default: 1
  autoscaling:
    description: Application Auto Scaling owns the desired count; do not compare or reset it after creation.
    type: bool
    default: false
  launch_type:
    description: C(FARGATE) or C(EC2). Mutually exclusive with I(capacity_provider_strategy). Cannot change in place.
    type: str
    choices: [FARGATE, EC2]
  capacity_provider_strategy:
    description: Capacity provider strategy. When neither this nor I(launch_type) is given, the cluster's default applies.
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: Name of the capacity provider, for example C(FARGATE_SPOT).
        type: str
        required: true
      weight:
        description: Relative share of the tasks.
        type: int
        default: 0
      base:
        description: Tasks always placed on this provider.
        type: int
        default: 0
  platform_version:
    description: Fargate platform version, for example C(LATEST). Omitted is not compared.
    type: str
  network:
    description: awsvpc network configuration.
    type: dict
    suboptions:
      subnets:
        description: Subnet IDs the tasks run in.
        type: list
        elements: str
        required: true
      security_groups:
        description: Security group IDs of the tasks.
        type: list
        elements: str
        default: []
      assign_public_ip:
        description: Give each task a public IP (only in public subnets without a NAT).
        type: bool
        default: false
  service_registries:
    description: Cloud Map services the tasks register in (one per service).
    type: list
    elements: dict
    default: []
    suboptions:
      registry_arn:
        description: ARN of the Cloud Map service.
        type: str
        required: true
      container_name:
        description: Container whose port is registered (SRV records only).
        type: str
      container_port:
        description: Container port registered (SRV records only).
        type: int
      port:
        description: Port registered (SRV records only).
        type: int
  load_balancers:
    description: Target groups the tasks register in.
    type: list
    elements: dict
    default: []
    suboptions:
      target_group_arn:
        description: ARN of the target group.
        type: str
        required: true
      container_name:
        description: Container receiving the traffic.
        type: str
        required: true
      container_port:
        description: Port of that container.
        type: int
        required: true
  health_check_grace_period:
    description: Seconds ECS ignores failing load balancer health checks after a task starts. Omitted is not compared.
    type: int
  deployment:
    description: Deployment configuration.
    type: dict
    default: {}
    suboptions:
      minimum_healthy_percent:
        description: Lower limit of running tasks during a deployment, percent of the desired count.
        type: int
        default: 100
      maximum_percent:
        description: Upper limit of running tasks during a deployment, percent of the desired count.
        type: int
        default: 200
      circuit_breaker:
        description: Stop a deployment whose tasks keep failing.
        type: bool
        default: true
      rollback:
        description: When the circuit breaker stops a deployment, roll back to the last completed one.
        type: bool
        default: true
  propagate_tags:
    description: Copy the tags of the service or the task definition to the tasks.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: SERVICE
  enable_execute_command:
    description: Allow ECS Exec into the tasks.
    type: bool
    default: false
  force_new_deployment:
    description: Start a new deployment even when nothing changed (always reports changed).
    type: bool
    default: false
  tags:
    description: Resource tags of the service. Omitted leaves the tags alone.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags).
    type: bool
    default: false
  owner_tags:
    description:
      - With I(state=absent), delete the service only when its tags include every one of these; otherwise leave it
        alone and say so in C(msg).
    type: dict
  task_definition_family:
    description:
      - With I(state=absent), after the service is gone, deregister every C(ACTIVE) revision of this task definition
        family and delete (C(DeleteTaskDefinitions), 10 per call) every revision, including C(INACTIVE) ones an
        earlier, interrupted run left, so nothing of the family remains.
      - The family is selected by its exact name (C(ListTaskDefinitions) with C(familyPrefix) may match more, so
        C(stack-dev-backend) never removes C(stack-dev-backend2)). Give a family whose name carries the stack and
        environment, because task definitions are not gated by I(owner_tags).
      - When the service is left alone because of I(owner_tags), the revisions it runs are kept.
      - Ignored with I(state=present). Omitted, task definitions are left alone.
      - A deleted revision is C(DELETE_IN_PROGRESS) in AWS until no task uses it, and is not listed again, so a second
        run reports no change.
    type: str
  wait:
    description: Wait for a steady state after a change (or until the service is C(INACTIVE) after a delete).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before failing with the service's recent events.
    type: int
    default: 600
  wait_delay:
    description: Seconds between two reads of the service while waiting.
    type: int
    default: 10
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Backend service, registered in Cloud Map, circuit breaker with rollback
  stackops.ecs_webstack.ecs_service_deploy:
    cluster: webstack-dev
    name: backend
    task_definition: "{{ backend_taskdef.taskdefinition.taskDefinitionArn }}"
    desired_count: 2
    autoscaling: true
    capacity_provider_strategy:
      - capacity_provider: FARGATE
        base: 1
        weight: 1
    network:
      subnets: "{{ network_backend_subnet_ids }}"
      security_groups: ["{{ network_security_group_ids.backend }}"]
    service_registries:
      - registry_arn: "{{ backend_registry.service.arn }}"
    deployment:
      minimum_healthy_percent: 100
      maximum_percent: 200
    tags:
      "webstack:stack": webstack
    wait_timeout: 900

- name: Remove it and every revision of its task definition family
  stackops.ecs_webstack.ecs_service_deploy:
    cluster: webstack-dev
    name: backend
    state: absent
    owner_tags:
      "webstack:stack": webstack
    task_definition_family: webstack-dev-backend
"""

RETURN = r"""
service:
  description: The service as DescribeServices reports it (empty after I(state=absent)).
  returned: always
  type: dict
  contains:
    serviceArn:
      description: ARN of the service.
      type: str
    taskDefinition:
      description: Task definition of the PRIMARY deployment.
      type: str
    desiredCount:
      description: Desired count.
      type: int
    runningCount:
      description: Running tasks.
      type: int
    deploymentConfiguration:
      description: Deployment configuration, incl. C(deploymentCircuitBreaker).
      type: dict
changes:
  description: For each field that differed, the value before and the value asked for.
  returned: always
  type: dict
task_definitions_removed:
  description: ARNs of the revisions of I(task_definition_family) deleted (in check mode, that would be deleted).
  returned: with I(state=absent) and I(task_definition_family)
  type: list
  elements: str
  sample: ["arn:aws:ecs:us-east-1:123456789012:task-definition/webstack-dev-backend:3"]
events:
  description: The service's most recent events (newest first), on a failed or timed-out wait.
  returned: when the wait failed
  type: list
  elements: str
rollout:
  description: C(steady), C(failed), C(rolled_back), C(in_progress) (timed out) or C(not_waited).
  returned: with I(state=present)
  type: str
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs as ecs_utils
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs_taskdefinition
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.autoscaling import deregister_scalable_target
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ecs_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import foreign_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tag_diff

# The module is the decisions and the results; the ECS service fields, their comparison, the requests
# and the waits are in module_utils/ecs.py, task definitions in module_utils/ecs_taskdefinition.py and
# Application Auto Scaling in module_utils/autoscaling.py.


def finish(module, client, result, task_definition_arn):
    params = module.params
    if not params["wait"] or module.check_mode:
        result["rollout"] = "not_waited"
        module.exit_json(**result)
    state, reason, service = ecs_utils.poll_rollout(
        lambda: ecs_utils.describe_service(module, client, params["cluster"], params["name"]) or {},
        task_definition_arn, params["wait_timeout"], params["wait_delay"], time.sleep)
    result["service"] = service
    result["rollout"] = state
    if state == "steady":
        module.exit_json(**result)
    events = ecs_utils.recent_events(service)
    result["events"] = events
    if state == "in_progress":
        msg = "ECS service {0} not steady after {1}s ({2})".format(params["name"], params["wait_timeout"], reason)
    else:
        msg = "ECS service {0} deployment {1}: {2}".format(params["name"], state.replace("_", " "), reason)
    module.fail_json(msg="{0}. Recent events: {1}".format(msg, " | ".join(events) or "none"), **result)


def create(module, client, wanted):
    params = module.params
    result = dict(changed=True, changes=dict((k, (None, v)) for k, v in wanted.items() if v is not None), service={})
    if module._diff:
        result["diff"] = dict(before={}, after=dict((k, v) for k, v in wanted.items() if v is not None))
    if module.check_mode:
        result["rollout"] = "not_waited"
        module.exit_json(**result)
    try:
        result["service"] = client.create_service(**ecs_utils.create_request(params, wanted))["service"]
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not create ECS service {0}".format(params["name"]))
    finish(module, client, result, wanted["taskDefinition"])


def update(module, client, service, wanted):
    params = module.params
    current = ecs_utils.current_fields(service)
    changes = ecs_utils.field_changes(current, wanted, autoscaling=params["autoscaling"])
    if "launchType" in changes:
        module.fail_json(
            msg="ECS service {0} runs with launch type {1}; AWS cannot change the launch type of a service in place. "
            "Use capacity_provider_strategy instead, or delete the service (state=absent) and run again.".format(
                params["name"], current.get("launchType")
            ),
            changes=changes,
        )
    current_tags = ecs_tags(service.get("tags"))
    to_set, to_remove = tag_diff(current_tags, params["tags"], params["purge_tags"])
    changed = bool(changes or to_set or to_remove or params["force_new_deployment"])
    result = dict(changed=changed, changes=changes, service=service)
    if module._diff:
        result["diff"] = dict(
            before=dict((k, v[0]) for k, v in changes.items()), after=dict((k, v[1]) for k, v in changes.items())
        )
    if not changed or module.check_mode:
        result["rollout"] = "not_waited"
        module.exit_json(**result)
    if changes or params["force_new_deployment"]:
        try:
            result["service"] = client.update_service(**ecs_utils.update_request(params, changes))["service"]
        except aws_errors() as err:
            module.fail_json_aws(
                err,
                msg="Could not update ECS service {0} ({1})".format(params["name"], ", ".join(sorted(changes)) or "new deployment"),
            )
    ensure_tags(module, client, "ecs", service["serviceArn"], current_tags, params["tags"], params["purge_tags"],
                "Could not update the tags of ECS service {0}".format(params["name"]))
    if not (changes or params["force_new_deployment"]):
        result["rollout"] = "not_waited"
        module.exit_json(**result)
    finish(module, client, result, wanted["taskDefinition"])


def delete(module, client, service):
    """Remove the service (when it is ours), then the revisions of task_definition_family; exit."""
    params = module.params
    result = dict(changed=False, changes={}, service={})
    keep = delete_service(module, client, service, result)
    if params["task_definition_family"]:
        removed = ecs_taskdefinition.remove_task_definitions(module, client, params["task_definition_family"], keep)
        result["task_definitions_removed"] = removed
        result["changed"] = result["changed"] or bool(removed)
        if module._diff and removed:
            result["diff"] = dict(before=dict(task_definitions=removed), after=dict(task_definitions=[]))
    module.exit_json(**result)


def delete_service(module, client, service, result):
    """Scale to 0, delete and wait for INACTIVE; return the task definitions a service left alone still runs."""
    params = module.params
    if not service:
        return []
    foreign = foreign_tags(ecs_tags(service.get("tags")), params["owner_tags"])
    if foreign:
        result["msg"] = "ECS service {0} is not tagged for this stack ({1} differ): left alone".format(params["name"], ", ".join(foreign))
        return [service.get("taskDefinition")] + [d.get("taskDefinition") for d in service.get("deployments") or []]
    result["changed"] = True
    if module.check_mode:
        return []
    try:
        if service.get("desiredCount"):
            client.update_service(cluster=params["cluster"], service=params["name"], desiredCount=0)
        client.delete_service(cluster=params["cluster"], service=params["name"], force=True)
    except is_boto3_error_code("ServiceNotFoundException"):
        result["changed"] = False
        return []
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not delete ECS service {0}".format(params["name"]))
    if params["wait"]:
        ecs_utils.wait_until_inactive(module, client, params["cluster"], params["name"], params["wait_timeout"],
                                      params["wait_delay"], time.sleep)
    deregister_scalable_target(module, params["cluster"], params["name"])
    return []


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        task_definition=dict(type="str"),
        desired_count=dict(type="int", default=1),
        autoscaling=dict(type="bool", default=False),
        launch_type=dict(type="str", choices=["FARGATE", "EC2"]),
        capacity_provider_strategy=dict(
            type="list",
            elements="dict",
            options=dict(
                capacity_provider=dict(type="str", required=True),
                weight=dict(type="int", default=0),
                base=dict(type="int", default=0),
            ),
        ),
        platform_version=dict(type="str"),
        network=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str", default=[]),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        service_registries=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                registry_arn=dict(type="str", required=True),
                container_name=dict(type="str"),
                container_port=dict(type="int"),
                port=dict(type="int"),
            ),
        ),
        load_balancers=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        health_check_grace_period=dict(type="int"),
        deployment=dict(
            type="dict",
            default={},
            options=dict(
                minimum_healthy_percent=dict(type="int", default=100),
                maximum_percent=dict(type="int", default=200),
                circuit_breaker=dict(type="bool", default=True),
                rollback=dict(type="bool", default=True),
            ),
        ),
        propagate_tags=dict(type="str", choices=["SERVICE", "TASK_DEFINITION", "NONE"], default="SERVICE"),
        enable_execute_command=dict(type="bool", default=False),
        force_new_deployment=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=False),
        owner_tags=dict(type="dict"),
        task_definition_family=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        wait_delay=dict(type="int", default=10),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["launch_type", "capacity_provider_strategy"]],
        required_if=[["state", "present", ["task_definition"]]],
    )
    client = aws_client(module, "ecs")
    params = module.params
    service = ecs_utils.describe_service(module, client, params["cluster"], params["name"])
    if params["state"] == "absent":
        delete(module, client, service)
    task_definition_arn = ecs_taskdefinition.resolve_task_definition(module, client, params["task_definition"])
    wanted = ecs_utils.wanted_fields(params, task_definition_arn)
    if service is None:
        create(module, client, wanted)
    else:
        update(module, client, service, wanted)


if __name__ == "__main__":
    main()
