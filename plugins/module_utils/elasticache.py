# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared ElastiCache reads and waits for the collection's ElastiCache modules (callers own the client)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK

# Seconds between two reads while waiting. ElastiCache changes take minutes; tests set this to 0.
WAIT_DELAY = 15


def describe_replication_group(module, client, group_id):
    """Return the replication group description, or None when it does not exist."""
    try:
        found = client.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read replication group {0}".format(group_id))
    groups = found.get("ReplicationGroups", [])
    return groups[0] if groups else None


def primary_cluster_id(group):
    """The cache cluster ID of the group's primary node (the first member when no role is reported)."""
    for node_group in group.get("NodeGroups", []):
        for member in node_group.get("NodeGroupMembers", []):
            if member.get("CurrentRole") == "primary":
                return member["CacheClusterId"]
    members = group.get("MemberClusters", [])
    return members[0] if members else None


def describe_cache_cluster(module, client, cluster_id):
    """Return one cache cluster's description, or None when it does not exist.

    Security groups, the parameter group, the subnet group and the engine version of a replication group
    are reported on its member clusters only, not by DescribeReplicationGroups.
    """
    if not cluster_id:
        return None
    try:
        found = client.describe_cache_clusters(CacheClusterId=cluster_id, aws_retry=True)
    except is_boto3_error_code("CacheClusterNotFound"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read cache cluster {0}".format(cluster_id))
    clusters = found.get("CacheClusters", [])
    return clusters[0] if clusters else None


def resource_tags(module, client, arn):
    """Return an ElastiCache resource's tags as a dict."""
    try:
        tags = client.list_tags_for_resource(ResourceName=arn, aws_retry=True).get("TagList", [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the tags of {0}".format(arn))
    return boto3_tag_list_to_ansible_dict(tags, "Key", "Value")


def wait_for_replication_group(module, client, group_id, timeout, gone=False):
    """Poll until the group is available (or, with gone=True, until it no longer exists); return it.

    Fails the module when the group disappears while waiting for it to be available, when it ends in
    create-failed, or when the timeout passes.
    """
    deadline = time.time() + timeout
    while True:
        group = describe_replication_group(module, client, group_id)
        if gone and group is None:
            return None
        if not gone:
            if group is None:
                module.fail_json(msg="Replication group {0} disappeared while waiting for it".format(group_id))
            if group.get("Status") == "create-failed":
                module.fail_json(msg="Replication group {0} failed to create".format(group_id), replication_group=group)
            if group.get("Status") == "available":
                return group
        if time.time() >= deadline:
            module.fail_json(
                msg="Timed out after {0}s waiting for replication group {1} to be {2} (status: {3})".format(
                    timeout, group_id, "deleted" if gone else "available", group.get("Status") if group else "gone"
                )
            )
        time.sleep(WAIT_DELAY)


def describe_cache_subnet_group(module, client, name):
    """Return a cache subnet group as community.aws.elasticache_subnet_group compares it, or None when missing.

    The keys are name, description, vpc_id, subnet_ids (sorted) and arn.
    """
    try:
        groups = client.describe_cache_subnet_groups(CacheSubnetGroupName=name, aws_retry=True).get("CacheSubnetGroups", [])
    except is_boto3_error_code("CacheSubnetGroupNotFoundFault"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read cache subnet group {0}".format(name))
    if not groups:
        return None
    group = groups[0]
    return dict(
        name=group.get("CacheSubnetGroupName", name),
        description=group.get("CacheSubnetGroupDescription", ""),
        vpc_id=group.get("VpcId", ""),
        subnet_ids=sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
        arn=group.get("ARN", ""),
    )
