#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_capacity_provider
short_description: Create, update or delete an ECS capacity provider backed by an EC2 Auto Scaling group
version_added: 0.1.0
description:
  - Manages an ECS capacity provider that launches tasks on the instances of an EC2 Auto Scaling group, with
    managed scaling (ECS sizes the group to what the tasks need) and managed termination protection.
  - Written because neither amazon.aws nor community.aws has a module for capacity providers;
    C(community.aws.ecs_cluster) only attaches providers that already exist to a cluster by name.
  - The Auto Scaling group of a provider cannot change after creation; a different I(auto_scaling_group_arn)
    fails with what to do instead of replacing the provider behind the services' back.
  - A provider can only be deleted once no cluster lists it; remove it from the cluster first
    (C(community.aws.ecs_cluster) with the remaining providers and C(purge_capacity_providers=true), or delete the
    cluster).
options:
  name:
    description:
      - Name of the capacity provider (up to 255 letters, digits, C(-) and C(_); it may not start with C(aws),
        C(ecs) or C(fargate)).
    type: str
    required: true
  state:
    description: C(present) creates or updates the provider, C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  auto_scaling_group_arn:
    description: ARN of the Auto Scaling group. Required with I(state=present).
    type: str
  managed_scaling:
    description: Managed scaling of the group (ECS sets its desired capacity from the tasks' needs).
    type: dict
    default: {}
    suboptions:
      status:
        description: C(ENABLED) or C(DISABLED).
        type: str
        choices: [ENABLED, DISABLED]
        default: ENABLED
      target_capacity:
        description: Percentage of the group's capacity the tasks should use (1-100; 100 leaves no spare instance).
        type: int
        default: 100
      minimum_scaling_step_size:
        description: Fewest instances added or removed at once.
        type: int
        default: 1
      maximum_scaling_step_size:
        description: Most instances added or removed at once.
        type: int
        default: 10000
      instance_warmup_period:
        description: Seconds before a new instance counts in the group's metrics.
        type: int
        default: 300
  managed_termination_protection:
    description:
      - C(ENABLED) keeps ECS from letting the group terminate instances that run tasks; it needs the group to
        protect new instances from scale-in and managed scaling to be C(ENABLED).
    type: str
    choices: [ENABLED, DISABLED]
    default: DISABLED
  wait_timeout:
    description: Seconds to wait for a deletion to finish.
    type: int
    default: 300
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - stackops.ecs_webstack.stack_tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Capacity provider over the free-tier instances
  stackops.ecs_webstack.ecs_capacity_provider:
    name: webstack-dev-ec2
    auto_scaling_group_arn: "{{ asg.auto_scaling_group_arn }}"
    managed_scaling:
      target_capacity: 100
    tags:
      "webstack:stack": webstack
      "webstack:env": dev

- name: Delete it (after the cluster no longer lists it), only if it is this stack's
  stackops.ecs_webstack.ecs_capacity_provider:
    name: webstack-dev-ec2
    owner_tags:
      "webstack:stack": webstack
      "webstack:env": dev
    state: absent
"""

RETURN = r"""
capacity_provider:
  description: The provider after the change (empty when absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    arn:
      description: ARN.
      type: str
    status:
      description: C(ACTIVE) or C(INACTIVE).
      type: str
    auto_scaling_group_arn:
      description: The group the provider launches tasks on.
      type: str
    managed_scaling:
      description: Managed scaling (status, target_capacity, minimum/maximum_scaling_step_size, instance_warmup_period).
      type: dict
    managed_termination_protection:
      description: C(ENABLED) or C(DISABLED).
      type: str
    tags:
      description: Resource tags.
      type: dict
changes:
  description: Field -> [before, after] of what changed or would change.
  returned: always
  type: dict
msg:
  description: Why a provider was left alone (I(owner_tags) did not match).
  returned: when I(state=absent) left a provider alone
  type: str
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ecs_tag_list
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ecs_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import foreign_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs_cluster import capacity_provider_changes

# API spelling of each managed_scaling suboption.
SCALING_FIELDS = (
    ("status", "status"),
    ("target_capacity", "targetCapacity"),
    ("minimum_scaling_step_size", "minimumScalingStepSize"),
    ("maximum_scaling_step_size", "maximumScalingStepSize"),
    ("instance_warmup_period", "instanceWarmupPeriod"),
)


def simplify(provider):
    asg = provider.get("autoScalingGroupProvider", {}) or {}
    scaling = asg.get("managedScaling", {}) or {}
    return dict(
        name=provider["name"],
        arn=provider["capacityProviderArn"],
        status=provider.get("status", ""),
        auto_scaling_group_arn=asg.get("autoScalingGroupArn", ""),
        managed_scaling=dict((ours, scaling.get(api)) for ours, api in SCALING_FIELDS),
        managed_termination_protection=asg.get("managedTerminationProtection", "DISABLED"),
        tags=ecs_tags(provider.get("tags")),
    )


def describe(module, client, name):
    try:
        found = client.describe_capacity_providers(capacityProviders=[name], include=["TAGS"])
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not read ECS capacity provider {0}".format(name))
    live = [p for p in found.get("capacityProviders", []) if p.get("status") != "INACTIVE"]
    return simplify(live[0]) if live else {}


def api_scaling(scaling):
    return dict((api, scaling[ours]) for ours, api in SCALING_FIELDS)


def check_params(module):
    params = module.params
    scaling = params["managed_scaling"]
    problems = []
    if params["state"] == "present" and not params["auto_scaling_group_arn"]:
        problems.append("auto_scaling_group_arn is required with state=present (the ARN of the Auto Scaling group)")
    if params["name"].lower().startswith(("aws", "ecs", "fargate")):
        problems.append("name '{0}' may not start with aws, ecs or fargate: pick another name".format(params["name"]))
    if not 1 <= scaling["target_capacity"] <= 100:
        problems.append("managed_scaling.target_capacity is {0}: use 1-100".format(scaling["target_capacity"]))
    if not 1 <= scaling["minimum_scaling_step_size"] <= scaling["maximum_scaling_step_size"] <= 10000:
        problems.append(
            "managed_scaling step sizes {0}..{1}: use 1 <= minimum <= maximum <= 10000".format(
                scaling["minimum_scaling_step_size"], scaling["maximum_scaling_step_size"]
            )
        )
    if not 0 <= scaling["instance_warmup_period"] <= 10000:
        problems.append("managed_scaling.instance_warmup_period is {0}: use 0-10000 seconds".format(scaling["instance_warmup_period"]))
    if params["managed_termination_protection"] == "ENABLED" and scaling["status"] != "ENABLED":
        problems.append("managed_termination_protection ENABLED needs managed_scaling.status ENABLED")
    if problems:
        module.fail_json(msg="; ".join(problems))


def delete(module, client, current):
    foreign = foreign_tags(current.get("tags"), module.params["owner_tags"]) if current else []
    if foreign:
        module.exit_json(
            changed=False, capacity_provider=current, changes={},
            msg="{0} is not tagged for this stack (owner_tags {1} do not match): left alone".format(current["name"], ", ".join(foreign)),
        )
    result = dict(changed=bool(current), capacity_provider={}, changes={})
    if current:
        result["changes"] = dict(status=[current["status"], "INACTIVE"])
        if module._diff:
            result["diff"] = dict(before=current, after={})
    if not current or module.check_mode:
        module.exit_json(**result)
    try:
        client.delete_capacity_provider(capacityProvider=current["name"])
    except aws_errors() as err:
        module.fail_json_aws(
            err,
            msg="Could not delete ECS capacity provider {0}; a cluster that still lists it must drop it first "
            "(community.aws.ecs_cluster with purge_capacity_providers, or delete the cluster)".format(current["name"]),
        )
    deadline = time.time() + module.params["wait_timeout"]
    while describe(module, client, current["name"]):
        if time.time() > deadline:
            module.fail_json(msg="ECS capacity provider {0} still deleting after {1}s; run again later".format(
                current["name"], module.params["wait_timeout"]), **result)
        time.sleep(5)
    module.exit_json(**result)


def create(module, client, wanted):
    params = module.params
    result = dict(changed=True, capacity_provider=wanted, changes=dict((k, [None, v]) for k, v in wanted.items()))
    if module._diff:
        result["diff"] = dict(before={}, after=wanted)
    if module.check_mode:
        module.exit_json(**result)
    kwargs = dict(
        name=params["name"],
        autoScalingGroupProvider=dict(
            autoScalingGroupArn=wanted["auto_scaling_group_arn"],
            managedScaling=api_scaling(wanted["managed_scaling"]),
            managedTerminationProtection=wanted["managed_termination_protection"],
        ),
    )
    if params["tags"]:
        kwargs["tags"] = ecs_tag_list(params["tags"])
    try:
        client.create_capacity_provider(**kwargs)
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not create ECS capacity provider {0}".format(params["name"]))
    result["capacity_provider"] = describe(module, client, params["name"])
    module.exit_json(**result)


def update(module, client, current, wanted):
    params = module.params
    if current["auto_scaling_group_arn"] != wanted["auto_scaling_group_arn"]:
        module.fail_json(
            msg="ECS capacity provider {0} uses Auto Scaling group {1}; a provider's group cannot change. Use the same "
            "group, or give the new group a provider of another name and delete this one once no cluster lists "
            "it.".format(params["name"], current["auto_scaling_group_arn"]),
            capacity_provider=current,
        )
    after, changes = capacity_provider_changes(current, wanted, params["tags"], params["purge_tags"])
    result = dict(changed=bool(changes), capacity_provider=after, changes=changes)
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    if not changes or module.check_mode:
        module.exit_json(**result)
    failed = "Could not update ECS capacity provider {0}".format(params["name"])
    if "managed_scaling" in changes or "managed_termination_protection" in changes:
        try:
            client.update_capacity_provider(
                name=params["name"],
                autoScalingGroupProvider=dict(
                    managedScaling=api_scaling(wanted["managed_scaling"]),
                    managedTerminationProtection=wanted["managed_termination_protection"],
                ),
            )
        except aws_errors() as err:
            module.fail_json_aws(err, msg=failed)
    ensure_tags(module, client, "ecs", current["arn"], current["tags"], params["tags"], params["purge_tags"], failed)
    result["capacity_provider"] = describe(module, client, params["name"])
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        auto_scaling_group_arn=dict(type="str"),
        managed_scaling=dict(
            type="dict",
            default={},
            options=dict(
                status=dict(type="str", choices=["ENABLED", "DISABLED"], default="ENABLED"),
                target_capacity=dict(type="int", default=100),
                minimum_scaling_step_size=dict(type="int", default=1),
                maximum_scaling_step_size=dict(type="int", default=10000),
                instance_warmup_period=dict(type="int", default=300),
            ),
        ),
        managed_termination_protection=dict(type="str", choices=["ENABLED", "DISABLED"], default="DISABLED"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        owner_tags=dict(type="dict"),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    check_params(module)
    params = module.params
    client = aws_client(module, "ecs")
    current = describe(module, client, params["name"])
    if params["state"] == "absent":
        delete(module, client, current)
    wanted = dict(
        name=params["name"],
        arn=current.get("arn", ""),
        status="ACTIVE",
        auto_scaling_group_arn=params["auto_scaling_group_arn"],
        managed_scaling=dict(params["managed_scaling"]),
        managed_termination_protection=params["managed_termination_protection"],
        tags=dict(params["tags"] or {}),
    )
    if not current:
        create(module, client, wanted)
    update(module, client, current, wanted)


if __name__ == "__main__":
    main()
