"""Unit tests for lambda_reserved_concurrency, against in-process moto."""

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import lambda_reserved_concurrency

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


@pytest.fixture
def function(aws_env):
    with mock_aws():
        role = boto3.client("iam").create_role(RoleName="sync", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        client = boto3.client("lambda")
        client.create_function(FunctionName="sync", Runtime="python3.12", Role=role, Handler="handler.handler",
                               Code={"ZipFile": _zip()})
        yield client


def test_sets_reads_and_removes_the_reservation(function, run_module, aws_calls):
    args = {"function_name": "sync", "reserved_concurrent_executions": 1}
    result, failed = run_module(lambda_reserved_concurrency.main, args)
    assert not failed and result["changed"] and result["reserved_concurrent_executions"] == 1
    assert function.get_function_concurrency(FunctionName="sync")["ReservedConcurrentExecutions"] == 1

    del aws_calls[:]
    result, failed = run_module(lambda_reserved_concurrency.main, args)
    assert not failed and not result["changed"]
    assert aws_calls.names == ["GetFunctionConcurrency"]  # a no-op run reads once and writes nothing

    result, failed = run_module(lambda_reserved_concurrency.main, {"function_name": "sync", "state": "absent"})
    assert not failed and result["changed"] and result["reserved_concurrent_executions"] is None
    assert "ReservedConcurrentExecutions" not in function.get_function_concurrency(FunctionName="sync")


def test_check_mode_and_diff_change_nothing(function, run_module, aws_calls):
    args = {"function_name": "sync", "reserved_concurrent_executions": 1}
    result, failed = run_module(lambda_reserved_concurrency.main, args, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"] == {"before": {"reserved_concurrent_executions": None}, "after": {"reserved_concurrent_executions": 1}}
    assert aws_calls.names == ["GetFunctionConcurrency"]
    assert "ReservedConcurrentExecutions" not in function.get_function_concurrency(FunctionName="sync")


def test_a_missing_function_and_a_negative_count_say_what_to_do(function, run_module):
    result, failed = run_module(lambda_reserved_concurrency.main, {"function_name": "nope", "reserved_concurrent_executions": 1})
    assert failed and "does not exist: create it first" in result["msg"]
    result, failed = run_module(lambda_reserved_concurrency.main, {"function_name": "sync", "reserved_concurrent_executions": -1})
    assert failed and "use 0 or more" in result["msg"]
