"""Unit tests for ecs_secret_refs_info against in-process moto: existence only, values never read."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import ecs_secret_refs_info


@pytest.fixture
def refs(aws_env):
    with mock_aws():
        secret = boto3.client("secretsmanager").create_secret(Name="stack-dev/mongodb-uri", SecretString="mongodb://u:p@h/db")
        boto3.client("ssm").put_parameter(Name="/stack-dev/redis-host", Value="redis.local", Type="String")
        yield {
            "secret": secret["ARN"],
            "param": "arn:aws:ssm:us-east-1:123456789012:parameter/stack-dev/redis-host",
        }


def test_existing_and_missing_refs(refs, run_module, aws_calls):
    result, failed = run_module(
        ecs_secret_refs_info.main,
        {
            "refs": {
                "MONGODB_URI": refs["secret"],
                "REDIS_HOST": refs["param"],
                "GONE_SECRET": refs["secret"].replace("mongodb-uri", "nothing"),
                "GONE_PARAM": refs["param"].replace("redis-host", "nothing"),
                "NOT_AN_ARN": "mongodb://plaintext",
            }
        },
    )
    assert not failed and not result["changed"]
    assert result["found"] == ["MONGODB_URI", "REDIS_HOST"]
    assert result["missing"] == ["GONE_PARAM", "GONE_SECRET", "NOT_AN_ARN"]
    calls = aws_calls.names
    assert "DescribeSecret" in calls and "DescribeParameters" in calls
    assert "GetSecretValue" not in calls and "GetParameter" not in calls and "GetParameters" not in calls


def test_known_arns_are_not_read_again(refs, run_module, aws_calls):
    gone = refs["secret"].replace("mongodb-uri", "nothing")
    result, failed = run_module(
        ecs_secret_refs_info.main,
        {
            "refs": {"MONGODB_URI": refs["secret"], "REDIS_HOST": refs["param"], "GONE_SECRET": gone},
            "known_arns": [refs["secret"], ""],
        },
    )
    assert not failed
    assert result["found"] == ["MONGODB_URI", "REDIS_HOST"] and result["missing"] == ["GONE_SECRET"]
    assert result["checked"] == ["GONE_SECRET", "REDIS_HOST"]
    # The known secret is not described; the unknown one and the parameter still are.
    calls = aws_calls.names
    assert calls.count("DescribeSecret") == 1 and calls.count("DescribeParameters") == 1


def test_an_empty_known_arn_does_not_make_an_empty_ref_found(refs, run_module):
    result, failed = run_module(ecs_secret_refs_info.main, {"refs": {"EMPTY": ""}, "known_arns": [""]})
    assert not failed and result["missing"] == ["EMPTY"] and result["found"] == []
