# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application Auto Scaling of an ECS service: the one comparison of its scaling with the inventory,
and the clean-up ecs_service_deploy does after deleting a service.

``scaling_drift(read, minimum, maximum, policies)`` compares what application_autoscaling_info read
(scalable_target, scaling_policies) with the capacity and target tracking policies the ecs_service
role asks for; the role runs community.aws.application_autoscaling_policy only when it is not empty
(the filter autoscaling_drift calls it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError

ECS_DIMENSION = "ecs:service:DesiredCount"


def _number(value, what):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ComparisonError("autoscaling_drift: %s %r is not a number" % (what, value))


def scaling_drift(read, minimum, maximum, policies):
    """[differences] between the scaling read and the one wanted; empty when nothing would change.

    ``read`` is application_autoscaling_info's result (or {} / None when nothing was read), ``policies``
    a list of dicts with ``name`` and ``config`` (TargetTrackingScalingPolicyConfiguration in the API's
    CamelCase). The capacity differs when there is no target or its min/max differ; a policy differs when
    it is missing, is not target tracking, or its configuration is not equal (numbers compare as numbers:
    70 equals 70.0)."""
    read = read or {}
    if not isinstance(read, dict) or not isinstance(policies, (list, tuple)):
        raise ComparisonError("autoscaling_drift expects application_autoscaling_info's result and a list of policies")
    minimum, maximum = _number(minimum, "minimum"), _number(maximum, "maximum")
    out = []
    target = read.get("scalable_target") or {}
    if target.get("min_capacity", -1) != minimum or target.get("max_capacity", -1) != maximum:
        out.append("capacity %s-%s, wanted %s-%s" % (
            target.get("min_capacity", "none"), target.get("max_capacity", "none"), minimum, maximum))
    found = read.get("scaling_policies") or []
    for wanted in policies:
        if not isinstance(wanted, dict) or not wanted.get("name"):
            raise ComparisonError("autoscaling_drift: every policy needs a name, got %r" % (wanted,))
        same_name = [p for p in found if p.get("PolicyName") == wanted["name"]]
        if (not same_name or same_name[0].get("PolicyType", "") != "TargetTrackingScaling"
                or same_name[0].get("TargetTrackingScalingPolicyConfiguration", {}) != wanted.get("config")):
            out.append("policy " + wanted["name"])
    return out


def ecs_resource_id(cluster, service):
    return "service/{0}/{1}".format(cluster, service)


def deregister_scalable_target(module, cluster, name):
    """Remove an ECS service's scalable target (kept by Application Auto Scaling after the service goes)."""
    scaling = aws_client(module, "application-autoscaling")
    resource = ecs_resource_id(cluster, name)
    try:
        if not scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]:
            return
        scaling.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=resource, ScalableDimension=ECS_DIMENSION)
    except is_boto3_error_code("ObjectNotFoundException"):
        return
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not deregister the scalable target of ECS service {0}".format(name))
