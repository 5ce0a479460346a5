"""Unit tests for elasticache_replication_group with botocore's Stubber.

Stubber covers what moto 5.2.5 does not emulate or ignores (modify with AuthToken, SecurityGroupIds and a
parameter group; replica count changes; waiting for create/modify/delete), plus the no-op, check-mode,
diff and failure paths. Every stubbed call must be consumed: a call the module should not make fails the
module (Stubber has no response for it), and assert_no_pending_responses catches a call it skipped.
"""

import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import elasticache as ec_utils
from ansible_collections.stackops.ecs_webstack.plugins.modules import elasticache_replication_group as rg_module

GROUP_ID = "stack-prod-redis"
ARN = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:" + GROUP_ID
TOKEN = "s3cr3t-t0ken-abcdefghijklmnopqrstuvwxyz-0123456789"
TAGS = {"webstack:stack": "stack", "webstack:env": "prod"}
TAG_LIST = [{"Key": "webstack:stack", "Value": "stack"}, {"Key": "webstack:env", "Value": "prod"}]


def group(status="available", members=2, failover="enabled", multi_az="enabled", auth=True, tls=True,
          node_type="cache.t4g.small", description="Redis", retention=1):
    ids = ["{0}-{1:03d}".format(GROUP_ID, i + 1) for i in range(members)]
    return {
        "ReplicationGroupId": GROUP_ID,
        "Description": description,
        "Status": status,
        "MemberClusters": ids,
        "NodeGroups": [
            {
                "NodeGroupId": "0001",
                "Status": status,
                "PrimaryEndpoint": {"Address": "master.{0}.abc.use1.cache.amazonaws.com".format(GROUP_ID), "Port": 6379},
                "ReaderEndpoint": {"Address": "replica.{0}.abc.use1.cache.amazonaws.com".format(GROUP_ID), "Port": 6379},
                "NodeGroupMembers": [
                    {"CacheClusterId": cid, "CacheNodeId": "0001", "CurrentRole": "primary" if i == 0 else "replica"}
                    for i, cid in enumerate(ids)
                ],
            }
        ],
        "AutomaticFailover": failover,
        "MultiAZ": multi_az,
        "CacheNodeType": node_type,
        "AuthTokenEnabled": auth,
        "TransitEncryptionEnabled": tls,
        "AtRestEncryptionEnabled": True,
        "SnapshotRetentionLimit": retention,
        "ARN": ARN,
        "Engine": "redis",
    }


def cluster(sgs=("sg-backend",), parameter_group="default.redis7", version="7.1.0"):
    return {
        "CacheClusterId": GROUP_ID + "-001",
        "Engine": "redis",
        "EngineVersion": version,
        "CacheClusterStatus": "available",
        "CacheSubnetGroupName": "stack-prod-redis",
        "SecurityGroups": [{"SecurityGroupId": sg, "Status": "active"} for sg in sgs],
        "CacheParameterGroup": {"CacheParameterGroupName": parameter_group, "ParameterApplyStatus": "in-sync"},
        "ReplicationGroupId": GROUP_ID,
    }


PRESENT = {
    "replication_group_id": GROUP_ID,
    "description": "Redis",
    "engine": "redis",
    "engine_version": "7.1",
    "node_type": "cache.t4g.small",
    "num_cache_clusters": 2,
    "cache_subnet_group_name": "stack-prod-redis",
    "security_group_ids": ["sg-backend"],
    "automatic_failover": True,
    "multi_az": True,
    "transit_encryption": True,
    "at_rest_encryption": True,
    "auth_token": TOKEN,
    "snapshot_retention_limit": 1,
    "tags": TAGS,
}


@pytest.fixture
def stub(aws_env, monkeypatch):
    client = boto3.client("elasticache", region_name="us-east-1")
    stubber = Stubber(client)
    monkeypatch.setattr(
        AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **kw: RetryingBotoClientWrapper(client, lambda f: f)
    )
    monkeypatch.setattr(ec_utils, "WAIT_DELAY", 0)
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def describe(stub, response=None, not_found=False):
    if not_found:
        stub.add_client_error(
            "describe_replication_groups", service_error_code="ReplicationGroupNotFoundFault", http_status_code=404,
            expected_params={"ReplicationGroupId": GROUP_ID},
        )
    else:
        stub.add_response("describe_replication_groups", {"ReplicationGroups": [response]}, {"ReplicationGroupId": GROUP_ID})


def read_existing(stub, grp, clu=None, tags=None):
    describe(stub, grp)
    stub.add_response("describe_cache_clusters", {"CacheClusters": [clu or cluster()]}, {"CacheClusterId": GROUP_ID + "-001"})
    stub.add_response("list_tags_for_resource", {"TagList": TAG_LIST if tags is None else tags}, {"ResourceName": ARN})


CREATE_REQUEST = {
    "ReplicationGroupId": GROUP_ID,
    "ReplicationGroupDescription": "Redis",
    "Engine": "redis",
    "EngineVersion": "7.1",
    "CacheNodeType": "cache.t4g.small",
    "NumCacheClusters": 2,
    "Port": 6379,
    "CacheSubnetGroupName": "stack-prod-redis",
    "SecurityGroupIds": ["sg-backend"],
    "AutomaticFailoverEnabled": True,
    "MultiAZEnabled": True,
    "TransitEncryptionEnabled": True,
    "AtRestEncryptionEnabled": True,
    "AuthToken": TOKEN,
    "SnapshotRetentionLimit": 1,
    "Tags": TAG_LIST,
}


def test_create_sends_tls_auth_failover_and_waits_for_available(stub, run_module):
    describe(stub, not_found=True)
    stub.add_response("create_replication_group", {"ReplicationGroup": group(status="creating")}, CREATE_REQUEST)
    describe(stub, group(status="creating"))
    describe(stub, group(status="creating"))
    describe(stub, group())
    result, failed = run_module(rg_module.main, PRESENT, diff=True)
    assert not failed, result
    assert result["changed"] and result["changes"] == ["create"]
    assert result["status"] == "available"
    assert result["endpoint"] == "master.{0}.abc.use1.cache.amazonaws.com".format(GROUP_ID)
    assert result["reader_endpoint"].startswith("replica.")
    assert result["port"] == 6379
    assert result["members"] == [GROUP_ID + "-001", GROUP_ID + "-002"]
    assert result["tls_enabled"] and result["auth_token_enabled"] and result["at_rest_encryption_enabled"]
    assert result["diff"]["after"]["num_cache_clusters"] == 2
    assert TOKEN not in json.dumps(result)


def test_create_in_check_mode_calls_nothing_that_writes(stub, run_module):
    describe(stub, not_found=True)
    result, failed = run_module(rg_module.main, PRESENT, check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] and result["status"] == "absent"
    assert result["diff"]["before"] == {} and result["diff"]["after"]["auth_token_enabled"] is True
    assert TOKEN not in json.dumps(result)


def test_create_without_node_type_fails_before_any_write(stub, run_module):
    describe(stub, not_found=True)
    args = dict(PRESENT)
    del args["node_type"]
    result, failed = run_module(rg_module.main, args)
    assert failed and "node_type is required" in result["msg"]


def test_same_settings_change_nothing(stub, run_module):
    read_existing(stub, group())
    result, failed = run_module(rg_module.main, PRESENT, diff=True)
    assert not failed, result
    assert not result["changed"] and result["changes"] == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_auth_rotation_security_groups_and_parameter_group_in_one_modify(stub, run_module):
    read_existing(stub, group())
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": group(status="modifying")},
        {
            "ReplicationGroupId": GROUP_ID,
            "ApplyImmediately": True,
            "SecurityGroupIds": ["sg-backend", "sg-extra"],
            "CacheParameterGroupName": "stack-redis7",
            "AuthToken": TOKEN,
            "AuthTokenUpdateStrategy": "ROTATE",
        },
    )
    describe(stub, group(status="modifying"))
    describe(stub, group())
    describe(stub, group())
    args = dict(PRESENT, security_group_ids=["sg-extra", "sg-backend"], cache_parameter_group_name="stack-redis7",
                auth_token_update="always")
    result, failed = run_module(rg_module.main, args, diff=True)
    assert not failed, result
    assert result["changed"]
    assert result["changes"] == ["auth_token", "cache_parameter_group_name", "security_group_ids"]
    assert result["diff"]["after"]["security_group_ids"] == ["sg-backend", "sg-extra"]
    assert TOKEN not in json.dumps(result)


def test_set_strategy_is_passed_through(stub, run_module):
    read_existing(stub, group())
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": group()},
        {"ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "AuthToken": TOKEN, "AuthTokenUpdateStrategy": "SET"},
    )
    describe(stub, group())
    describe(stub, group())
    args = dict(PRESENT, auth_token_update="always", auth_token_update_strategy="SET")
    result, failed = run_module(rg_module.main, args)
    assert not failed, result
    assert result["changes"] == ["auth_token"]


def test_auth_added_to_a_group_without_auth_even_on_create_mode(stub, run_module):
    read_existing(stub, group(auth=False))
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": group(status="modifying")},
        {"ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "AuthToken": TOKEN, "AuthTokenUpdateStrategy": "ROTATE"},
    )
    describe(stub, group())
    describe(stub, group())
    result, failed = run_module(rg_module.main, PRESENT)
    assert not failed, result
    assert result["changes"] == ["auth_token", "auth_token_enabled"]


def test_more_nodes_are_added_before_failover_is_turned_on(stub, run_module):
    read_existing(stub, group(members=1, failover="disabled", multi_az="disabled"))
    stub.add_response(
        "increase_replica_count",
        {"ReplicationGroup": group(status="modifying", members=1, failover="disabled", multi_az="disabled")},
        {"ReplicationGroupId": GROUP_ID, "NewReplicaCount": 1, "ApplyImmediately": True},
    )
    describe(stub, group(members=2, failover="disabled", multi_az="disabled"))
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": group(status="modifying")},
        {"ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "AutomaticFailoverEnabled": True, "MultiAZEnabled": True},
    )
    describe(stub, group())
    describe(stub, group())
    result, failed = run_module(rg_module.main, PRESENT)
    assert not failed, result
    assert result["changes"] == ["automatic_failover", "multi_az", "num_cache_clusters"]


def test_fewer_nodes_turn_failover_off_first(stub, run_module):
    read_existing(stub, group())
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": group(status="modifying")},
        {"ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "AutomaticFailoverEnabled": False, "MultiAZEnabled": False},
    )
    describe(stub, group(failover="disabled", multi_az="disabled"))
    stub.add_response(
        "decrease_replica_count",
        {"ReplicationGroup": group(status="modifying", failover="disabled", multi_az="disabled")},
        {"ReplicationGroupId": GROUP_ID, "NewReplicaCount": 0, "ApplyImmediately": True},
    )
    describe(stub, group(members=1, failover="disabled", multi_az="disabled"))
    describe(stub, group(members=1, failover="disabled", multi_az="disabled"))
    args = dict(PRESENT, num_cache_clusters=1, automatic_failover=False, multi_az=False)
    result, failed = run_module(rg_module.main, args)
    assert not failed, result
    assert result["members"] == [GROUP_ID + "-001"]


def test_update_in_check_mode_writes_nothing(stub, run_module):
    read_existing(stub, group(node_type="cache.t4g.micro"))
    result, failed = run_module(rg_module.main, PRESENT, check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] and result["changes"] == ["node_type"]
    assert result["diff"]["before"]["node_type"] == "cache.t4g.micro"
    assert result["diff"]["after"]["node_type"] == "cache.t4g.small"


def test_node_type_description_retention_and_tags(stub, run_module):
    read_existing(stub, group(node_type="cache.t4g.micro", description="old", retention=0),
                  tags=TAG_LIST + [{"Key": "stale", "Value": "x"}])
    stub.add_response(
        "modify_replication_group",
        {"ReplicationGroup": group(status="modifying")},
        {"ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "ReplicationGroupDescription": "Redis",
         "CacheNodeType": "cache.t4g.small", "SnapshotRetentionLimit": 1},
    )
    describe(stub, group())
    stub.add_response("remove_tags_from_resource", {"TagList": TAG_LIST}, {"ResourceName": ARN, "TagKeys": ["stale"]})
    describe(stub, group())
    result, failed = run_module(rg_module.main, PRESENT)
    assert not failed, result
    assert result["changes"] == ["description", "node_type", "snapshot_retention_limit", "tags"]


def test_settings_fixed_at_creation_fail_instead_of_being_ignored(stub, run_module):
    read_existing(stub, group(tls=False, auth=False))
    result, failed = run_module(rg_module.main, PRESENT)
    assert failed
    assert "transit_encryption" in result["msg"] and "cannot be changed in place" in result["msg"]


def test_failover_with_one_node_is_refused(stub, run_module):
    describe(stub, not_found=True)
    result, failed = run_module(rg_module.main, dict(PRESENT, num_cache_clusters=1))
    assert failed and "automatic_failover needs num_cache_clusters of 2 or more" in result["msg"]


def test_auth_without_tls_is_refused(stub, run_module):
    describe(stub, not_found=True)
    result, failed = run_module(rg_module.main, dict(PRESENT, transit_encryption=False))
    assert failed and "auth_token needs transit_encryption" in result["msg"]
    assert TOKEN not in json.dumps(result)


def test_delete_waits_until_the_group_is_gone(stub, run_module):
    describe(stub, group())
    stub.add_response(
        "delete_replication_group",
        {"ReplicationGroup": group(status="deleting")},
        {"ReplicationGroupId": GROUP_ID, "RetainPrimaryCluster": False},
    )
    describe(stub, group(status="deleting"))
    describe(stub, not_found=True)
    result, failed = run_module(rg_module.main, {"replication_group_id": GROUP_ID, "state": "absent"}, diff=True)
    assert not failed, result
    assert result["changed"] and result["status"] == "absent"
    assert result["diff"]["before"]["status"] == "available"


def test_delete_of_a_missing_group_is_a_no_op(stub, run_module):
    describe(stub, not_found=True)
    result, failed = run_module(rg_module.main, {"replication_group_id": GROUP_ID, "state": "absent"})
    assert not failed and not result["changed"]


def test_delete_in_check_mode_writes_nothing(stub, run_module):
    describe(stub, group())
    result, failed = run_module(rg_module.main, {"replication_group_id": GROUP_ID, "state": "absent"}, check_mode=True)
    assert not failed and result["changed"]


def test_delete_wait_times_out_when_the_group_stays_deleting(stub, run_module):
    describe(stub, group(status="deleting"))
    describe(stub, group(status="deleting"))
    args = {"replication_group_id": GROUP_ID, "state": "absent", "wait_timeout": 0}
    result, failed = run_module(rg_module.main, args)
    assert failed and "Timed out after 0s" in result["msg"] and "deleted" in result["msg"]


def test_create_failed_is_reported(stub, run_module):
    describe(stub, not_found=True)
    stub.add_response("create_replication_group", {"ReplicationGroup": group(status="creating")}, CREATE_REQUEST)
    describe(stub, group(status="create-failed"))
    result, failed = run_module(rg_module.main, PRESENT)
    assert failed and "failed to create" in result["msg"]


def test_options_match_the_documentation():
    import yaml

    doc = yaml.safe_load(rg_module.DOCUMENTATION)["options"]
    source = open(rg_module.__file__, encoding="utf-8").read()
    spec_text = source[source.index("argument_spec = dict("):source.index("module = AnsibleAWSModule")]
    for name, option in doc.items():
        assert "{0}=dict(".format(name) in spec_text, name
        line = [ln for ln in spec_text.splitlines() if ln.strip().startswith(name + "=dict(")][0]
        assert 'type="{0}"'.format(option["type"]) in line, name
        if "default" in option:
            assert "default={0!r}".format(option["default"]).replace("'", '"') in line, name
    assert "no_log=True" in [ln for ln in spec_text.splitlines() if ln.strip().startswith("auth_token=")][0]


SECRET_NAME = "stack-prod/redis/auth-token"
SECRET_ARGS = dict((k, v) for k, v in PRESENT.items() if k != "auth_token")
SECRET_ARGS["auth_token_secret_id"] = SECRET_NAME


@pytest.fixture
def stubs(aws_env, monkeypatch):
    """An ElastiCache and a Secrets Manager stub; a Secrets Manager call without a stubbed answer fails the module."""
    clients = {
        "elasticache": boto3.client("elasticache", region_name="us-east-1"),
        "secretsmanager": boto3.client("secretsmanager", region_name="us-east-1"),
    }
    stubbers = dict((name, Stubber(client)) for name, client in clients.items())
    monkeypatch.setattr(
        AnsibleAWSModule, "client",
        lambda self, service, retry_decorator=None, **kw: RetryingBotoClientWrapper(clients[service], lambda f: f),
    )
    monkeypatch.setattr(ec_utils, "WAIT_DELAY", 0)
    with stubbers["elasticache"], stubbers["secretsmanager"]:
        yield stubbers
        for stubber in stubbers.values():
            stubber.assert_no_pending_responses()


def token_read(stubbers):
    stubbers["secretsmanager"].add_response(
        "get_secret_value", {"Name": SECRET_NAME, "SecretString": TOKEN}, {"SecretId": SECRET_NAME}
    )


def test_token_from_a_secret_is_not_read_when_the_group_has_auth(stubs, run_module):
    read_existing(stubs["elasticache"], group())
    result, failed = run_module(rg_module.main, SECRET_ARGS, diff=True)
    assert not failed, result
    assert not result["changed"] and result["changes"] == []


def test_token_from_a_secret_is_read_and_sent_on_create(stubs, run_module):
    describe(stubs["elasticache"], not_found=True)
    token_read(stubs)
    stubs["elasticache"].add_response("create_replication_group", {"ReplicationGroup": group(status="creating")}, CREATE_REQUEST)
    describe(stubs["elasticache"], group())
    result, failed = run_module(rg_module.main, SECRET_ARGS, diff=True)
    assert not failed, result
    assert result["changed"] and result["changes"] == ["create"] and result["auth_token_enabled"]
    assert TOKEN not in json.dumps(result)


def test_token_from_a_secret_is_not_read_in_check_mode(stubs, run_module):
    describe(stubs["elasticache"], not_found=True)
    result, failed = run_module(rg_module.main, SECRET_ARGS, check_mode=True, diff=True)
    assert not failed, result
    assert result["changed"] and result["diff"]["after"]["auth_token_enabled"] is True


def test_token_from_a_secret_is_added_to_a_group_without_auth(stubs, run_module):
    read_existing(stubs["elasticache"], group(auth=False))
    token_read(stubs)
    stubs["elasticache"].add_response(
        "modify_replication_group",
        {"ReplicationGroup": group(status="modifying")},
        {"ReplicationGroupId": GROUP_ID, "ApplyImmediately": True, "AuthToken": TOKEN, "AuthTokenUpdateStrategy": "ROTATE"},
    )
    describe(stubs["elasticache"], group())
    describe(stubs["elasticache"], group())
    result, failed = run_module(rg_module.main, SECRET_ARGS)
    assert not failed, result
    assert result["changes"] == ["auth_token", "auth_token_enabled"]
    assert TOKEN not in json.dumps(result)


def test_an_unreadable_token_secret_fails_naming_the_secret(stubs, run_module):
    describe(stubs["elasticache"], not_found=True)
    stubs["secretsmanager"].add_client_error(
        "get_secret_value", service_error_code="ResourceNotFoundException", http_status_code=400,
        expected_params={"SecretId": SECRET_NAME},
    )
    result, failed = run_module(rg_module.main, SECRET_ARGS)
    assert failed and SECRET_NAME in result["msg"]


def test_token_and_token_secret_are_mutually_exclusive(stubs, run_module):
    result, failed = run_module(rg_module.main, dict(SECRET_ARGS, auth_token=TOKEN))
    assert failed and "mutually exclusive" in result["msg"]
