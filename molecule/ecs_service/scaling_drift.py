"""Change the backend's scaling by hand (another capacity range, one policy deleted), with plain boto3.

    python scaling_drift.py <cluster> <service> <policy to delete>

The verify step then runs the role and proves both are put back: the role skips the policy module
when its one read finds nothing different, so this is the case it must not skip.
"""

import sys

import boto3


def main(cluster, service, policy):
    scaling = boto3.client("application-autoscaling")
    resource = "service/%s/%s" % (cluster, service)
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount",
                                     MinCapacity=1, MaxCapacity=9)
    scaling.delete_scaling_policy(PolicyName=policy, ServiceNamespace="ecs", ResourceId=resource,
                                  ScalableDimension="ecs:service:DesiredCount")


if __name__ == "__main__":
    main(*sys.argv[1:4])
