"""Unit tests for iam_roles_info: what it returns (in-process moto) and exactly which calls it makes (Stubber)."""

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.stackops.ecs_webstack.plugins.modules import iam_roles_info

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
SECRETS = {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                                                   "Resource": ["arn:aws:secretsmanager:us-east-1:123456789012:secret:stack/*"]}]}
ROLE_ARN = "arn:aws:iam::123456789012:role/stack-dev-ecs-execution"


@pytest.fixture
def iam(aws_env):
    with mock_aws():
        yield boto3.client("iam")


def _make_role(iam, name, description="execution role", tags=None):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), Description=description,
                    Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])


def test_existing_and_missing_roles_with_their_policies(iam, run_module):
    _make_role(iam, "stack-dev-ecs-execution", tags={"webstack:env": "dev"})
    policy = iam.create_policy(PolicyName="extra", PolicyDocument=json.dumps(SECRETS))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="stack-dev-ecs-execution", PolicyArn=policy)
    iam.put_role_policy(RoleName="stack-dev-ecs-execution", PolicyName="read-secrets", PolicyDocument=json.dumps(SECRETS))
    # A hand-added inline policy the caller did not ask about is not read.
    iam.put_role_policy(RoleName="stack-dev-ecs-execution", PolicyName="by-hand", PolicyDocument=json.dumps(SECRETS))

    result, failed = run_module(iam_roles_info.main, {"roles": [
        {"name": "stack-dev-ecs-execution", "inline_policies": ["read-secrets", "absent-policy"]},
        {"name": "stack-dev-backend-task"},
    ]}, check_mode=True)
    assert not failed and not result["changed"]
    role = result["roles"]["stack-dev-ecs-execution"]
    assert role["exists"] and role["arn"] == ROLE_ARN
    assert role["assume_role_policy_document"] == TRUST
    assert role["description"] == "execution role" and role["max_session_duration"] == 3600
    assert role["tags"] == {"webstack:env": "dev"}
    assert role["managed_policies"] == [policy]
    assert role["inline_policies"] == {"read-secrets": SECRETS, "absent-policy": None}
    missing = result["roles"]["stack-dev-backend-task"]
    assert missing["exists"] is False and missing["arn"] == "" and missing["managed_policies"] == []
    assert result["account_id"] == "123456789012" and result["partition"] == "aws"


def test_a_role_listed_twice_is_read_once_with_both_policy_lists(iam, run_module):
    _make_role(iam, "stack-dev-ecs-execution")
    iam.put_role_policy(RoleName="stack-dev-ecs-execution", PolicyName="b", PolicyDocument=json.dumps(SECRETS))
    result, failed = run_module(iam_roles_info.main, {"roles": [
        {"name": "stack-dev-ecs-execution", "inline_policies": ["a"]},
        {"name": "stack-dev-ecs-execution", "inline_policies": ["b"]},
    ]})
    assert not failed
    assert list(result["roles"]) == ["stack-dev-ecs-execution"]
    assert result["roles"]["stack-dev-ecs-execution"]["inline_policies"] == {"a": None, "b": SECRETS}


# ---------------------------------------------------------------- exact calls (Stubber)


@pytest.fixture
def stubbed(aws_env, monkeypatch):
    """Stubbed iam and sts clients; any call not queued fails the test."""
    clients = {"iam": boto3.client("iam", region_name="us-east-1"), "sts": boto3.client("sts", region_name="us-east-1")}
    stubbers = dict((name, Stubber(client)) for name, client in clients.items())
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **kw: clients[service])
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def _role(name):
    return {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLEEXAMPLE01", "CreateDate": "2026-01-01T00:00:00Z",
            "Arn": "arn:aws-cn:iam::210987654321:role/" + name, "AssumeRolePolicyDocument": json.dumps(TRUST),
            "MaxSessionDuration": 3600, "Tags": [{"Key": "webstack:env", "Value": "dev"}]}


def test_an_unchanged_role_costs_two_reads_and_one_per_inline_policy_and_no_sts(stubbed, run_module):
    iam = stubbed["iam"]
    iam.add_response("get_role", {"Role": _role("exec")}, {"RoleName": "exec"})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [], "IsTruncated": False}, {"RoleName": "exec"})
    iam.add_response("get_role_policy", {"RoleName": "exec", "PolicyName": "read", "PolicyDocument": json.dumps(SECRETS)},
                     {"RoleName": "exec", "PolicyName": "read"})
    iam.add_response("get_role", {"Role": _role("task")}, {"RoleName": "task"})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [], "IsTruncated": False}, {"RoleName": "task"})
    result, failed = run_module(iam_roles_info.main, {"roles": [{"name": "exec", "inline_policies": ["read"]}, {"name": "task"}]})
    assert not failed, result
    # The account and partition come from the role's ARN (no sts call was queued).
    assert result["account_id"] == "210987654321" and result["partition"] == "aws-cn"
    assert result["roles"]["exec"]["inline_policies"]["read"] == SECRETS
    assert result["roles"]["exec"]["description"] is None


def test_no_role_yet_asks_sts_once(stubbed, run_module):
    stubbed["iam"].add_client_error("get_role", "NoSuchEntity", "Role exec not found", 404, expected_params={"RoleName": "exec"})
    stubbed["sts"].add_response("get_caller_identity", {"UserId": "AIDA", "Account": "123456789012",
                                                        "Arn": "arn:aws-us-gov:iam::123456789012:user/deploy"}, {})
    result, failed = run_module(iam_roles_info.main, {"roles": [{"name": "exec", "inline_policies": ["read"]}]}, check_mode=True)
    assert not failed, result
    assert result["roles"]["exec"]["exists"] is False and result["roles"]["exec"]["inline_policies"] == {"read": None}
    assert result["account_id"] == "123456789012" and result["partition"] == "aws-us-gov"


def test_a_read_error_names_the_role(stubbed, run_module):
    stubbed["iam"].add_client_error("get_role", "AccessDenied", "not allowed", 403, expected_params={"RoleName": "exec"})
    result, failed = run_module(iam_roles_info.main, {"roles": [{"name": "exec"}]})
    assert failed and "Could not read IAM role exec" in result["msg"]
