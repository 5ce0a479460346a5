"""Unit tests for secretsmanager_secrets_info against in-process moto: one listing, batched value checks, no value out."""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import secretsmanager_secrets_info as info

URI = "mongodb+srv://u:not-a-real-password@h/db"
TOKEN = "t0ken-abcdefghijklmnopqrstuvwxyz-0123456789"


@pytest.fixture
def sm(aws_env):
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name="stack-dev/backend/mongodb-uri", SecretString=URI, Description="Mongo",
                             Tags=[{"Key": "webstack:env", "Value": "dev"}])
        client.create_secret(Name="stack-dev/redis/auth-token", SecretString=TOKEN)
        # Same start without the slash, and the prefix in the middle of a name: not the stack's.
        client.create_secret(Name="stack-dev2/backend/mongodb-uri", SecretString="other")
        client.create_secret(Name="other/stack-dev/x", SecretString="other")
        yield client


def test_lists_the_stack_and_compares_values_in_two_calls(sm, aws_calls, run_module):
    result, failed = run_module(info.main, {
        "name_prefix": "stack-dev/",
        "compare_values": {"stack-dev/backend/mongodb-uri": URI, "stack-dev/redis/auth-token": "wrong"},
    })
    assert not failed, result
    assert not result["changed"]
    assert sorted(result["secrets"]) == ["stack-dev/backend/mongodb-uri", "stack-dev/redis/auth-token"]
    uri = result["secrets"]["stack-dev/backend/mongodb-uri"]
    assert uri["arn"].startswith("arn:aws:secretsmanager:") and uri["description"] == "Mongo"
    assert uri["tags"] == {"webstack:env": "dev"} and uri["kms_key_id"] is None
    assert uri["deleted"] is False and uri["rotation_enabled"] is False
    assert uri["value_matches"] is True
    assert result["secrets"]["stack-dev/redis/auth-token"]["value_matches"] is False
    assert result["compared"] == ["stack-dev/backend/mongodb-uri", "stack-dev/redis/auth-token"]
    assert aws_calls.names == ["ListSecrets", "BatchGetSecretValue"]
    assert aws_calls[0][1]["Filters"] == [{"Key": "name", "Values": ["stack-dev/"]}] and aws_calls[0][1]["IncludePlannedDeletion"]
    text = json.dumps(result)
    assert URI not in text and TOKEN not in text


def test_without_values_only_lists(sm, aws_calls, run_module):
    result, failed = run_module(info.main, {"name_prefix": "stack-dev/redis/auth-token"}, check_mode=True)
    assert not failed, result
    assert list(result["secrets"]) == ["stack-dev/redis/auth-token"]
    assert result["secrets"]["stack-dev/redis/auth-token"]["value_matches"] is None and result["compared"] == []
    assert aws_calls.names == ["ListSecrets"]
    assert TOKEN not in json.dumps(result)


def test_a_secret_scheduled_for_deletion_is_listed_but_its_value_not_read(sm, aws_calls, run_module):
    sm.delete_secret(SecretId="stack-dev/backend/mongodb-uri", RecoveryWindowInDays=7)
    del aws_calls[:]
    result, failed = run_module(info.main, {"name_prefix": "stack-dev/", "compare_values": {"stack-dev/backend/mongodb-uri": URI}})
    assert not failed, result
    assert result["secrets"]["stack-dev/backend/mongodb-uri"]["deleted"] is True
    assert result["secrets"]["stack-dev/backend/mongodb-uri"]["value_matches"] is None and result["compared"] == []
    assert aws_calls.names == ["ListSecrets"]


def test_values_are_read_twenty_secrets_a_call(sm, aws_calls, run_module):
    wanted = {}
    for i in range(45):
        name = "stack-dev/many/s%02d" % i
        sm.create_secret(Name=name, SecretString="v%d" % i)
        wanted[name] = "v%d" % i if i != 44 else "changed"
    del aws_calls[:]
    result, failed = run_module(info.main, {"name_prefix": "stack-dev/many/", "compare_values": wanted})
    assert not failed, result
    batches = [params["SecretIdList"] for name, params in aws_calls if name == "BatchGetSecretValue"]
    assert [len(b) for b in batches] == [20, 20, 5]
    matches = dict((name, s["value_matches"]) for name, s in result["secrets"].items())
    assert [name for name, ok in matches.items() if not ok] == ["stack-dev/many/s44"]
    assert len(result["compared"]) == 45


def test_a_missing_secret_is_absent_and_not_compared(sm, aws_calls, run_module):
    result, failed = run_module(info.main, {"name_prefix": "stack-dev/", "compare_values": {"stack-dev/backend/new": "x"}})
    assert not failed, result
    assert "stack-dev/backend/new" not in result["secrets"] and result["compared"] == []
    assert aws_calls.names == ["ListSecrets"]


def test_names_outside_the_prefix_are_refused_before_any_call(sm, aws_calls, run_module):
    result, failed = run_module(info.main, {"name_prefix": "stack-dev/", "compare_values": {"elsewhere/x": "x"}})
    assert failed and "elsewhere/x" in result["msg"] and aws_calls == []
    result, failed = run_module(info.main, {"name_prefix": ""})
    assert failed and "name_prefix" in result["msg"]


def test_value_errors_fail_naming_the_secret_not_the_value(sm, monkeypatch, run_module):
    def batch(client, ids):
        return [], [{"SecretId": ids[0], "ErrorCode": "AccessDeniedException", "Message": "denied"}]

    monkeypatch.setattr(info, "_batch_get_values", batch)
    result, failed = run_module(info.main, {"name_prefix": "stack-dev/", "compare_values": {"stack-dev/backend/mongodb-uri": URI}})
    assert failed and "AccessDeniedException" in result["msg"] and URI not in json.dumps(result)


def test_compare_values_is_no_log():
    source = open(info.__file__, encoding="utf-8").read()
    assert 'compare_values=dict(type="dict", default={}, no_log=True)' in source
