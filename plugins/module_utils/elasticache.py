# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared ElastiCache reads and waits for the collection's ElastiCache modules (callers own the client),
and the comparisons: plan_update (does the replication group need a change, and which?) for
elasticache_replication_group, subnet_group_differences for elasticache_subnet_group_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tag_diff
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tags_after

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


def subnet_group_differences(current, description, subnets):
    """The one comparison of a cache subnet group (as describe_cache_subnet_group returns it, None when
    missing) with the one wanted, as community.aws.elasticache_subnet_group decides between create,
    modify and nothing: [] means that module would change nothing."""
    if current is None:
        return ["missing"]
    out = []
    if description and current["description"] != description:
        out.append("description")
    if subnets and set(current["subnet_ids"]) != set(subnets):
        out.append("subnets")
    return out


# Settings AWS fixes when the group is created (compared, never modified).
CREATE_ONLY = ("port", "cache_subnet_group_name", "transit_encryption", "at_rest_encryption", "kms_key_id")


def token_given(params):
    return params["auth_token"] is not None or params["auth_token_secret_id"] is not None


def _enabled(value):
    return value in ("enabled", "enabling")


def current_settings(group, cluster, tags):
    """The comparable settings of an existing group (its primary cluster carries SGs and groups)."""
    cluster = cluster or {}
    node_group = (group.get("NodeGroups") or [{}])[0]
    endpoint = node_group.get("PrimaryEndpoint") or {}
    return dict(
        description=group.get("Description"),
        engine=group.get("Engine") or cluster.get("Engine"),
        engine_version=cluster.get("EngineVersion"),
        node_type=group.get("CacheNodeType"),
        num_cache_clusters=len(group.get("MemberClusters", [])),
        port=endpoint.get("Port"),
        cache_subnet_group_name=cluster.get("CacheSubnetGroupName"),
        security_group_ids=sorted(sg["SecurityGroupId"] for sg in cluster.get("SecurityGroups", [])),
        cache_parameter_group_name=(cluster.get("CacheParameterGroup") or {}).get("CacheParameterGroupName"),
        automatic_failover=_enabled(group.get("AutomaticFailover")),
        multi_az=_enabled(group.get("MultiAZ")),
        transit_encryption=bool(group.get("TransitEncryptionEnabled")),
        at_rest_encryption=bool(group.get("AtRestEncryptionEnabled")),
        kms_key_id=group.get("KmsKeyId"),
        auth_token_enabled=bool(group.get("AuthTokenEnabled")),
        snapshot_retention_limit=group.get("SnapshotRetentionLimit"),
        tags=tags,
    )


def version_matches(current, wanted):
    """'7.1' matches '7.1.0'; an unknown current version never matches."""
    if not current:
        return False
    return current == wanted or current.startswith(wanted + ".")


def plan_update(module, before):
    """Compare the module's parameters with current_settings' ``before``: return (modify request, wanted
    node count or None, tags to set, tag keys to remove, after). Fails the module on a setting AWS cannot
    change in place."""
    params = module.params
    group_id = params["replication_group_id"]
    for name in CREATE_ONLY:
        wanted = params[name]
        current = before[name]
        if wanted is None or current is None or wanted == current:
            continue
        if name == "kms_key_id" and (current.endswith(":key/" + wanted) or wanted.startswith("alias/")):
            continue  # AWS reports the key's ARN; a key ID or alias given here cannot be told apart
        module.fail_json(
            msg="{0} of replication group {1} is {2!r} and cannot be changed in place to {3!r}: AWS fixes it at "
            "creation. Delete and recreate the group (state=absent, then present), or keep {0} as it is.".format(
                name, group_id, current, wanted
            )
        )
    after = dict(before)
    modify = {}

    def want(option, key, value):
        modify[key] = value
        after[option] = value

    if params["description"] is not None and params["description"] != before["description"]:
        want("description", "ReplicationGroupDescription", params["description"])
    if params["node_type"] and params["node_type"] != before["node_type"]:
        want("node_type", "CacheNodeType", params["node_type"])
    if params["engine"] != before["engine"]:
        want("engine", "Engine", params["engine"])
    if params["engine_version"] and not version_matches(before["engine_version"], params["engine_version"]):
        want("engine_version", "EngineVersion", params["engine_version"])
    if params["security_group_ids"] is not None and sorted(params["security_group_ids"]) != before["security_group_ids"]:
        want("security_group_ids", "SecurityGroupIds", sorted(params["security_group_ids"]))
    if params["cache_parameter_group_name"] and params["cache_parameter_group_name"] != before["cache_parameter_group_name"]:
        want("cache_parameter_group_name", "CacheParameterGroupName", params["cache_parameter_group_name"])
    if params["automatic_failover"] is not None and params["automatic_failover"] != before["automatic_failover"]:
        want("automatic_failover", "AutomaticFailoverEnabled", params["automatic_failover"])
    if params["multi_az"] is not None and params["multi_az"] != before["multi_az"]:
        want("multi_az", "MultiAZEnabled", params["multi_az"])
    if params["snapshot_retention_limit"] is not None and params["snapshot_retention_limit"] != before["snapshot_retention_limit"]:
        want("snapshot_retention_limit", "SnapshotRetentionLimit", params["snapshot_retention_limit"])
    if token_given(params) and (not before["auth_token_enabled"] or params["auth_token_update"] == "always"):
        if not before["transit_encryption"]:
            module.fail_json(msg="auth_token needs transit encryption, and replication group {0} has none".format(group_id))
        modify["AuthToken"] = None  # read by update() just before it is sent, never in check mode
        modify["AuthTokenUpdateStrategy"] = params["auth_token_update_strategy"]
        after["auth_token_enabled"] = True
        after["auth_token"] = "updated ({0})".format(params["auth_token_update_strategy"])

    count = params["num_cache_clusters"]
    if count is not None and count != before["num_cache_clusters"]:
        after["num_cache_clusters"] = count
    else:
        count = None
    if after["automatic_failover"] and after["num_cache_clusters"] < 2:
        module.fail_json(msg="automatic_failover needs num_cache_clusters of 2 or more; replication group {0} would have {1}".format(
            group_id, after["num_cache_clusters"]))

    to_set, to_remove = tag_diff(before["tags"], params["tags"], params["purge_tags"])
    if params["tags"] is not None:
        after["tags"] = tags_after(before["tags"], to_set, to_remove)
    return modify, count, to_set, to_remove, after
