#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: elasticache_replication_group
short_description: Manage an ElastiCache (Redis OSS or Valkey) replication group
version_added: 0.1.0
description:
  - Creates, updates in place and deletes an ElastiCache replication group with cluster mode disabled
    (one primary and zero or more read replicas), with encryption in transit (TLS), encryption at rest
    and an AUTH token.
  - Updates in place what AWS allows (ModifyReplicationGroup, IncreaseReplicaCount, DecreaseReplicaCount), that is the
    description, node type, number of nodes, AUTH token (C(ROTATE) or C(SET)), security groups, parameter
    group, automatic failover, Multi-AZ, snapshot retention, engine and engine version, and tags. Settings
    AWS fixes at creation (port, subnet group, TLS, encryption at rest, KMS key) fail with a clear message
    when they differ instead of being silently ignored.
  - Written because C(community.aws.elasticache) only manages single cache clusters, has no replication
    groups, TLS or AUTH, and fails on its second run against moto (C(KeyError 'CacheNodes')).
  - AWS never returns the AUTH token, so by default (O(auth_token_update=on_create)) the token is sent only
    when the group is created or has no AUTH yet; O(auth_token_update=always) sends it on every run (a rotation,
    always reported as a change).
options:
  replication_group_id:
    description: Identifier of the replication group (1 to 40 lower case letters, digits and hyphens).
    type: str
    required: true
  state:
    description: C(present) creates or updates the group; C(absent) deletes it (a group that does not exist is gone).
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the group. Defaults to the O(replication_group_id) on creation.
    type: str
  engine:
    description: C(redis) (Redis OSS) or C(valkey). A change from C(redis) to C(valkey) is an in-place upgrade.
    type: str
    choices: [redis, valkey]
    default: redis
  engine_version:
    description: Engine version, for example C(7.1) (Redis OSS) or C(8.0) (Valkey). AWS's default when omitted.
    type: str
  node_type:
    description: Cache node type, for example C(cache.t4g.micro). Required to create the group.
    type: str
  num_cache_clusters:
    description:
      - Number of nodes (primary plus replicas), 1 to 6. Defaults to 1 on creation.
      - A change adds or removes replicas in place.
    type: int
  port:
    description: Port the nodes listen on. Fixed at creation.
    type: int
    default: 6379
  cache_subnet_group_name:
    description: Subnet group the nodes run in. Fixed at creation.
    type: str
  preferred_availability_zones:
    description: Availability zones of the nodes, in order (primary first). Used at creation only.
    type: list
    elements: str
  security_group_ids:
    description: VPC security groups of the nodes.
    type: list
    elements: str
  cache_parameter_group_name:
    description: Parameter group of the nodes; AWS's default group for the engine when omitted.
    type: str
  automatic_failover:
    description: Promote a replica when the primary fails. Needs O(num_cache_clusters) of 2 or more.
    type: bool
  multi_az:
    description: Keep the nodes in different availability zones. Needs O(automatic_failover).
    type: bool
  transit_encryption:
    description: Encryption in transit (TLS). Fixed at creation here. Needed for O(auth_token).
    type: bool
  at_rest_encryption:
    description: Encryption at rest. Fixed at creation.
    type: bool
  kms_key_id:
    description: KMS key for encryption at rest; the AWS-managed key when omitted. Fixed at creation.
    type: str
  auth_token:
    description:
      - AUTH token (password) clients must give, 16 to 128 printable characters without C(@), C("), C(/) or spaces.
      - Needs O(transit_encryption). Never logged or returned.
      - Mutually exclusive with O(auth_token_secret_id).
    type: str
  auth_token_secret_id:
    description:
      - Name or ARN of a Secrets Manager secret whose C(SecretString) is the AUTH token. The module reads it
        (C(GetSecretValue)) only when it sends the token, that is when it creates the group, when the group has no
        AUTH yet, or with O(auth_token_update=always), and never in check mode; a run that changes nothing does not
        read the secret, and the token never passes through the play.
      - Needs C(secretsmanager:GetSecretValue) on the secret. Mutually exclusive with O(auth_token).
    type: str
  auth_token_update:
    description:
      - C(on_create) sends O(auth_token) only when the group is created or has no AUTH yet (AWS cannot
        report the current token, so a run cannot tell whether it differs).
      - C(always) sends it on every run with O(auth_token_update_strategy) (reported as a change).
    type: str
    choices: [on_create, always]
    default: on_create
  auth_token_update_strategy:
    description:
      - C(ROTATE) adds the new token and keeps the old one valid until the next C(SET) (zero-downtime rotation).
      - C(SET) makes the new token the only valid one.
    type: str
    choices: [ROTATE, SET]
    default: ROTATE
  snapshot_retention_limit:
    description: Days to keep automatic snapshots; 0 turns them off.
    type: int
  apply_immediately:
    description: Apply modifications now instead of in the next maintenance window.
    type: bool
    default: true
  wait:
    description: Wait until the group is C(available) after a change, or gone after a delete.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait before failing.
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
author:
  - ecs_webstack contributors (@stackops)
notes:
  - Check mode reports what would change and calls nothing that writes; C(--diff) shows the settings before and after
    (never the AUTH token).
  - Cluster mode enabled (sharding) is not supported.
"""

EXAMPLES = r"""
- name: A single-node Redis 7 group for dev
  stackops.ecs_webstack.elasticache_replication_group:
    replication_group_id: webstack-dev-redis
    engine: redis
    engine_version: "7.1"
    node_type: cache.t4g.micro
    cache_subnet_group_name: webstack-dev-redis
    security_group_ids: [sg-0123456789abcdef0]
    tags:
      "webstack:stack": webstack
      "webstack:env": dev

- name: Two nodes across zones with failover, TLS, encryption at rest and AUTH
  stackops.ecs_webstack.elasticache_replication_group:
    replication_group_id: webstack-prod-redis
    engine: valkey
    engine_version: "8.0"
    node_type: cache.t4g.small
    num_cache_clusters: 2
    automatic_failover: true
    multi_az: true
    transit_encryption: true
    at_rest_encryption: true
    auth_token: "{{ redis_auth_token }}"
    cache_subnet_group_name: webstack-prod-redis
    security_group_ids: [sg-0123456789abcdef0]
  no_log: true

- name: Rotate the AUTH token (old and new both valid until a later SET)
  stackops.ecs_webstack.elasticache_replication_group:
    replication_group_id: webstack-prod-redis
    auth_token: "{{ new_redis_auth_token }}"
    auth_token_update: always
    auth_token_update_strategy: ROTATE
  no_log: true

- name: AUTH with the token kept in Secrets Manager (read only when the module must send it)
  stackops.ecs_webstack.elasticache_replication_group:
    replication_group_id: webstack-prod-redis
    node_type: cache.t4g.small
    transit_encryption: true
    auth_token_secret_id: webstack-prod/redis/auth-token

- name: Delete the group and wait until it is gone
  stackops.ecs_webstack.elasticache_replication_group:
    replication_group_id: webstack-dev-redis
    state: absent
"""

RETURN = r"""
endpoint:
  description: Address of the primary endpoint (reads and writes); empty when absent.
  returned: always
  type: str
  sample: master.webstack-prod-redis.abc123.euw1.cache.amazonaws.com
reader_endpoint:
  description: Address of the reader endpoint (spread over the replicas); empty when absent.
  returned: always
  type: str
  sample: replica.webstack-prod-redis.abc123.euw1.cache.amazonaws.com
port:
  description: Port of the endpoints; 0 when absent.
  returned: always
  type: int
  sample: 6379
status:
  description: Status of the group (C(available), C(creating), C(modifying), C(deleting)); C(absent) when there is none.
  returned: always
  type: str
  sample: available
members:
  description: Cache cluster IDs of the nodes.
  returned: always
  type: list
  elements: str
  sample: [webstack-prod-redis-001, webstack-prod-redis-002]
tls_enabled:
  description: Whether encryption in transit is on.
  returned: always
  type: bool
auth_token_enabled:
  description: Whether clients must give an AUTH token.
  returned: always
  type: bool
at_rest_encryption_enabled:
  description: Whether encryption at rest is on.
  returned: always
  type: bool
arn:
  description: ARN of the group; empty when absent.
  returned: always
  type: str
changes:
  description: Names of the settings that were (or in check mode would be) changed.
  returned: always
  type: list
  elements: str
  sample: [node_type, security_group_ids]
replication_group:
  description: The group as DescribeReplicationGroups reports it (snake_case); empty when absent.
  returned: always
  type: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import elasticache as ec_utils
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def _aws_error(module, err, msg):
    module.fail_json_aws(err, msg=msg)


def resolve_auth_token(module):
    """The AUTH token to send: the option, or the secret's value (read now, masked in any output)."""
    params = module.params
    if params["auth_token"] is not None:
        return params["auth_token"]
    secret_id = params["auth_token_secret_id"]
    client = aws_client(module, "secretsmanager")
    try:
        token = client.get_secret_value(SecretId=secret_id, aws_retry=True).get("SecretString")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the AUTH token from secret {0}".format(secret_id))
    if not token:
        module.fail_json(msg="Secret {0} holds no AUTH token (its SecretString is empty)".format(secret_id))
    # From here on Ansible masks the token wherever it would appear (an error message, say).
    module.no_log_values.add(token)
    return token


def result_from(group, changes, changed, diff=None):
    group = group or {}
    node_group = (group.get("NodeGroups") or [{}])[0]
    primary = node_group.get("PrimaryEndpoint") or {}
    reader = node_group.get("ReaderEndpoint") or {}
    out = dict(
        changed=changed,
        changes=changes,
        endpoint=primary.get("Address", ""),
        reader_endpoint=reader.get("Address", ""),
        port=primary.get("Port", 0),
        status=group.get("Status", "absent"),
        members=group.get("MemberClusters", []),
        tls_enabled=bool(group.get("TransitEncryptionEnabled")),
        auth_token_enabled=bool(group.get("AuthTokenEnabled")),
        at_rest_encryption_enabled=bool(group.get("AtRestEncryptionEnabled")),
        arn=group.get("ARN", ""),
        replication_group=camel_dict_to_snake_dict(group) if group else {},
    )
    if diff is not None:
        out["diff"] = diff
    return out


def check_params(module):
    params = module.params
    count = params["num_cache_clusters"]
    if count is not None and not 1 <= count <= 6:
        module.fail_json(msg="num_cache_clusters must be from 1 to 6 (primary plus up to 5 replicas), got {0}".format(count))
    if params["automatic_failover"] and count is not None and count < 2:
        module.fail_json(msg="automatic_failover needs num_cache_clusters of 2 or more (got {0})".format(count))
    if params["multi_az"] and params["automatic_failover"] is False:
        module.fail_json(msg="multi_az needs automatic_failover")
    if ec_utils.token_given(params) and params["transit_encryption"] is False:
        module.fail_json(msg="auth_token needs transit_encryption (AWS accepts AUTH only over TLS)")


def create(module, client):
    params = module.params
    if not params["node_type"]:
        module.fail_json(msg="node_type is required to create replication group {0}".format(params["replication_group_id"]))
    count = params["num_cache_clusters"] or 1
    request = dict(
        ReplicationGroupId=params["replication_group_id"],
        ReplicationGroupDescription=params["description"] or params["replication_group_id"],
        Engine=params["engine"],
        CacheNodeType=params["node_type"],
        NumCacheClusters=count,
        Port=params["port"],
    )
    optional = dict(
        EngineVersion=params["engine_version"],
        CacheSubnetGroupName=params["cache_subnet_group_name"],
        PreferredCacheClusterAZs=params["preferred_availability_zones"],
        SecurityGroupIds=params["security_group_ids"],
        CacheParameterGroupName=params["cache_parameter_group_name"],
        AutomaticFailoverEnabled=params["automatic_failover"],
        MultiAZEnabled=params["multi_az"],
        TransitEncryptionEnabled=params["transit_encryption"],
        AtRestEncryptionEnabled=params["at_rest_encryption"],
        KmsKeyId=params["kms_key_id"],
        SnapshotRetentionLimit=params["snapshot_retention_limit"],
    )
    request.update((k, v) for k, v in optional.items() if v is not None)
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"], "Key", "Value")
    after = dict(
        (name, params[name])
        for name in (
            "description", "engine", "engine_version", "node_type", "port", "cache_subnet_group_name",
            "cache_parameter_group_name", "automatic_failover", "multi_az", "transit_encryption",
            "at_rest_encryption", "snapshot_retention_limit",
        )
    )
    after.update(
        description=request["ReplicationGroupDescription"],
        num_cache_clusters=count,
        security_group_ids=sorted(params["security_group_ids"] or []),
        auth_token_enabled=ec_utils.token_given(params),
        tags=params["tags"] or {},
    )
    diff = dict(before={}, after=after)
    if module.check_mode:
        module.exit_json(**result_from({}, ["create"], True, diff))
    if ec_utils.token_given(params):
        request["AuthToken"] = resolve_auth_token(module)
    try:
        group = client.create_replication_group(aws_retry=True, **request)["ReplicationGroup"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        _aws_error(module, err, "Could not create replication group {0}".format(params["replication_group_id"]))
    if params["wait"]:
        group = ec_utils.wait_for_replication_group(module, client, params["replication_group_id"], params["wait_timeout"])
    module.exit_json(**result_from(group, ["create"], True, diff))


def _modify(module, client, group_id, request):
    try:
        client.modify_replication_group(
            aws_retry=True, ReplicationGroupId=group_id, ApplyImmediately=module.params["apply_immediately"], **request
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        _aws_error(module, err, "Could not modify replication group {0}".format(group_id))


def _set_node_count(module, client, group_id, current, wanted):
    call = client.increase_replica_count if wanted > current else client.decrease_replica_count
    try:
        call(aws_retry=True, ReplicationGroupId=group_id, NewReplicaCount=wanted - 1, ApplyImmediately=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        _aws_error(module, err, "Could not change the number of replicas of {0} to {1}".format(group_id, wanted - 1))


def update(module, client, group):
    params = module.params
    group_id = params["replication_group_id"]
    if group["Status"] not in ("available", "creating", "modifying", "snapshotting"):
        module.fail_json(msg="Replication group {0} is {1}: it cannot be updated".format(group_id, group["Status"]))
    if params["wait"] and group["Status"] != "available" and not module.check_mode:
        group = ec_utils.wait_for_replication_group(module, client, group_id, params["wait_timeout"])
    cluster = ec_utils.describe_cache_cluster(module, client, ec_utils.primary_cluster_id(group))
    tags = ec_utils.resource_tags(module, client, group["ARN"]) if params["tags"] is not None else {}
    before = ec_utils.current_settings(group, cluster, tags)
    modify, count, to_set, to_remove, after = ec_utils.plan_update(module, before)
    changes = sorted(k for k in after if after[k] != before.get(k))
    changed = bool(changes)
    diff = dict(before=before, after=after)
    if not changed or module.check_mode:
        module.exit_json(**result_from(group, changes, changed, diff))

    wait = params["wait"]
    timeout = params["wait_timeout"]
    # Fewer nodes: turn failover off first (AWS refuses one node with failover). More nodes: add them first,
    # so failover has a replica to turn on with.
    if count is not None and count > before["num_cache_clusters"]:
        _set_node_count(module, client, group_id, before["num_cache_clusters"], count)
        ec_utils.wait_for_replication_group(module, client, group_id, timeout)
    if "AuthToken" in modify:
        modify["AuthToken"] = resolve_auth_token(module)
    if modify:
        _modify(module, client, group_id, modify)
        if wait or (count is not None and count < before["num_cache_clusters"]):
            ec_utils.wait_for_replication_group(module, client, group_id, timeout)
    if count is not None and count < before["num_cache_clusters"]:
        _set_node_count(module, client, group_id, before["num_cache_clusters"], count)
        if wait:
            ec_utils.wait_for_replication_group(module, client, group_id, timeout)
    ensure_tags(module, client, "elasticache", group["ARN"], before["tags"], params["tags"], params["purge_tags"],
                "Could not tag replication group {0}".format(group_id))
    group = ec_utils.describe_replication_group(module, client, group_id) or group
    module.exit_json(**result_from(group, changes, True, diff))


def delete(module, client, group):
    params = module.params
    group_id = params["replication_group_id"]
    if group is None:
        module.exit_json(**result_from({}, [], False, dict(before={}, after={})))
    diff = dict(before=dict(replication_group_id=group_id, status=group.get("Status")), after={})
    if group.get("Status") == "deleting":
        # Someone (maybe an earlier run) already asked; only wait for it.
        if params["wait"] and not module.check_mode:
            ec_utils.wait_for_replication_group(module, client, group_id, params["wait_timeout"], gone=True)
        module.exit_json(**result_from({}, [], False, diff))
    if module.check_mode:
        module.exit_json(**result_from(group, ["delete"], True, diff))
    if group.get("Status") != "available" and params["wait"]:
        ec_utils.wait_for_replication_group(module, client, group_id, params["wait_timeout"])
    try:
        client.delete_replication_group(aws_retry=True, ReplicationGroupId=group_id, RetainPrimaryCluster=False)
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        module.exit_json(**result_from({}, [], False, diff))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        _aws_error(module, err, "Could not delete replication group {0}".format(group_id))
    if params["wait"]:
        ec_utils.wait_for_replication_group(module, client, group_id, params["wait_timeout"], gone=True)
    module.exit_json(**result_from({}, ["delete"], True, diff))


def main():
    argument_spec = dict(
        replication_group_id=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        engine=dict(type="str", default="redis", choices=["redis", "valkey"]),
        engine_version=dict(type="str"),
        node_type=dict(type="str"),
        num_cache_clusters=dict(type="int"),
        port=dict(type="int", default=6379),
        cache_subnet_group_name=dict(type="str"),
        preferred_availability_zones=dict(type="list", elements="str"),
        security_group_ids=dict(type="list", elements="str"),
        cache_parameter_group_name=dict(type="str"),
        automatic_failover=dict(type="bool"),
        multi_az=dict(type="bool"),
        transit_encryption=dict(type="bool"),
        at_rest_encryption=dict(type="bool"),
        kms_key_id=dict(type="str"),
        auth_token=dict(type="str", no_log=True),
        auth_token_secret_id=dict(type="str"),
        auth_token_update=dict(type="str", default="on_create", choices=["on_create", "always"]),
        auth_token_update_strategy=dict(type="str", default="ROTATE", choices=["ROTATE", "SET"]),
        snapshot_retention_limit=dict(type="int"),
        apply_immediately=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec, supports_check_mode=True, mutually_exclusive=[["auth_token", "auth_token_secret_id"]]
    )
    client = aws_client(module, "elasticache")
    group = ec_utils.describe_replication_group(module, client, module.params["replication_group_id"])
    if module.params["state"] == "absent":
        delete(module, client, group)
    check_params(module)
    if group is None:
        create(module, client)
    update(module, client, group)


if __name__ == "__main__":
    main()
