"""Change the scenario's converged cluster, roles and log groups by hand, as someone in the console would, with plain boto3.

    python drift.py <cluster> <iam prefix> <log group prefix>

Prints what it changed (JSON). The side effect then proves that the role's next run puts every part
back, although it now runs the create modules only for what its one read finds different.
"""

import json
import sys

import boto3


def main(cluster, iam_prefix, log_prefix):
    iam = boto3.client("iam")
    done = []

    # The execution role trusts EC2 instead of ECS tasks.
    iam.update_assume_role_policy(
        RoleName=iam_prefix + "-ecs-execution",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )
    done.append("execution role trusts ec2")

    # The secrets policy is widened to every secret.
    iam.put_role_policy(
        RoleName=iam_prefix + "-ecs-execution",
        PolicyName=iam_prefix + "-read-stack-secrets",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}),
    )
    done.append("secrets policy widened")

    # The frontend's task role gets a managed policy the inventory does not give it.
    iam.attach_role_policy(RoleName=iam_prefix + "-frontend-task", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    done.append("frontend task role ReadOnlyAccess")

    # The backend's task role is retagged to another environment.
    iam.tag_role(RoleName=iam_prefix + "-backend-task", Tags=[{"Key": "webstack:env", "Value": "by-hand"}])
    done.append("backend task role tag webstack:env")

    # The backend's logs are kept longer.
    boto3.client("logs").put_retention_policy(logGroupName=log_prefix + "/backend", retentionInDays=30)
    done.append("backend log retention 30")

    # The cluster loses FARGATE_SPOT (and with it that part of the default strategy).
    boto3.client("ecs").put_cluster_capacity_providers(
        cluster=cluster,
        capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
    )
    done.append("cluster without FARGATE_SPOT")
    print(json.dumps(done))


if __name__ == "__main__":
    main(*sys.argv[1:4])
