#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: application_autoscaling_info
short_description: Read a resource's Application Auto Scaling target and scaling policies
version_added: 0.2.0
description:
  - Returns the scalable target (minimum and maximum capacity) of one resource, for example an ECS
    service's desired count, and its scaling policies, in two reads.
  - Why this module exists, no collection has an info module for Application Auto Scaling, and
    C(community.aws.application_autoscaling_policy) reads the target twice and the policy twice for each
    policy it manages, and writes even in check mode. The C(ecs_service) role reads once with this module
    and runs that module only when the target or a policy differs from the inventory.
  - Read-only, so check mode is safe.
author:
  - ecs_webstack contributors (@stackops)
options:
  resource_id:
    description: The scalable resource, for an ECS service C(service/<cluster>/<service>).
    type: str
    required: true
  service_namespace:
    description: The Application Auto Scaling namespace of the resource.
    type: str
    default: ecs
  scalable_dimension:
    description: The dimension that scales.
    type: str
    default: ecs:service:DesiredCount
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Read the backend's scaling
  stackops.ecs_webstack.application_autoscaling_info:
    resource_id: service/webstack-dev/backend
  register: backend_scaling

- name: Show the capacity range
  ansible.builtin.debug:
    msg: "{{ backend_scaling.scalable_target.min_capacity }} to {{ backend_scaling.scalable_target.max_capacity }} tasks"
"""

RETURN = r"""
scalable_target:
  description: The registered target, empty when the resource is not registered.
  returned: always
  type: dict
  contains:
    min_capacity:
      description: Fewest tasks.
      type: int
    max_capacity:
      description: Most tasks.
      type: int
    role_arn:
      description: The service-linked role Application Auto Scaling uses.
      type: str
scaling_policies:
  description:
    - The resource's scaling policies as the API returns them (keys in CamelCase, the way
      C(community.aws.application_autoscaling_policy) takes its configuration), without the alarms.
  returned: always
  type: list
  elements: dict
  sample:
    - PolicyName: webstack-dev-backend-cpu
      PolicyType: TargetTrackingScaling
      TargetTrackingScalingPolicyConfiguration:
        PredefinedMetricSpecification: {PredefinedMetricType: ECSServiceAverageCPUUtilization}
        TargetValue: 60.0
        ScaleInCooldown: 120
        ScaleOutCooldown: 60
        DisableScaleIn: false
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client

# Only what a comparison with the inventory needs; alarms and timestamps change on their own.
POLICY_KEYS = ("PolicyName", "PolicyType", "TargetTrackingScalingPolicyConfiguration", "StepScalingPolicyConfiguration")


def read_scaling(module, client, namespace, resource_id, dimension):
    """(target dict or {}, [policy dicts]) for one resource; both paginate, a service has few."""
    try:
        targets = client.describe_scalable_targets(
            ServiceNamespace=namespace, ResourceIds=[resource_id], ScalableDimension=dimension
        )["ScalableTargets"]
        policies = []
        paginator = client.get_paginator("describe_scaling_policies")
        for page in paginator.paginate(ServiceNamespace=namespace, ResourceId=resource_id, ScalableDimension=dimension):
            policies.extend(page["ScalingPolicies"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the Application Auto Scaling target of {0}".format(resource_id))
    target = {}
    if targets:
        target = dict(
            min_capacity=targets[0]["MinCapacity"],
            max_capacity=targets[0]["MaxCapacity"],
            role_arn=targets[0].get("RoleARN", ""),
        )
    return target, [dict((k, p[k]) for k in POLICY_KEYS if k in p) for p in policies]


def main():
    argument_spec = dict(
        resource_id=dict(type="str", required=True),
        service_namespace=dict(type="str", default="ecs"),
        scalable_dimension=dict(type="str", default="ecs:service:DesiredCount"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "application-autoscaling")
    target, policies = read_scaling(
        module, client, module.params["service_namespace"], module.params["resource_id"], module.params["scalable_dimension"]
    )
    module.exit_json(changed=False, scalable_target=target, scaling_policies=policies)


if __name__ == "__main__":
    main()
