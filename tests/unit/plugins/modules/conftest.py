"""Fixtures shared by the module tests (helpers they import are in cloudmap_testlib.py)."""

import boto3
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
