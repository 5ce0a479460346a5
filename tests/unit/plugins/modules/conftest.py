"""Fixtures shared by the module tests (helpers they import are in cloudmap_testlib.py)."""

import boto3
import botocore.client
import pytest
from botocore.stub import Stubber

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import cloudmap


@pytest.fixture
def cloudmap_stubber(aws_env, monkeypatch):
    """A Stubber on the Cloud Map client every cloudmap module gets (fails on any call not queued)."""
    client = boto3.client("servicediscovery", region_name="us-east-1")
    stubber = Stubber(client)
    monkeypatch.setattr(cloudmap, "cloudmap_client", lambda module, discovery=False: client)
    monkeypatch.setattr(cloudmap.time, "sleep", lambda _s: None)
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


class ApiCalls(list):
    """Every AWS call a test made, as (operation name, parameters); ``names`` gives the names alone."""

    @property
    def names(self):
        return [name for name, _params in self]


@pytest.fixture
def aws_calls(monkeypatch):
    """Record every AWS call (moto or not) the module under test makes, to prove how many reads it costs."""
    seen = ApiCalls()
    real_call = botocore.client.BaseClient._make_api_call

    def spy(self, operation_name, api_params):
        seen.append((operation_name, api_params))
        return real_call(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return seen
