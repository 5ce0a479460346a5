"""The collection's one AWS client (module_utils/aws_common.client): its retry policy survives the
throttling bursts a busy account sends, and a user's own retry settings win."""

import http.server
import json
import threading

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import aws_common


class _ThrottlingECS(http.server.BaseHTTPRequestHandler):
    """Answers the first `throttles` requests as a busy ECS endpoint does, then ListClusters."""

    throttles = 0
    seen = 0

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen += 1
        if type(self).seen <= type(self).throttles:
            status, body = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            status, body = 200, {"clusterArns": ["arn:aws:ecs:eu-west-1:123456789012:cluster/shop"]}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def busy_ecs(monkeypatch):
    """A loopback ECS endpoint; botocore's backoff sleeps are skipped (counted, not waited)."""
    for key in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_CONFIG_FILE", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ThrottlingECS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ThrottlingECS.seen = 0
    yield server, "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


class FakeModule:
    """What aws_common.client needs of AnsibleAWSModule: params and client(service, **extra)."""

    def __init__(self, endpoint, aws_config=None):
        self.params = {"aws_config": aws_config}
        self.endpoint = endpoint

    def client(self, service, retry_decorator=None, config=None):
        merged = Config(user_agent_extra="test")
        if config is not None:
            merged = merged.merge(config)
        if self.params["aws_config"]:
            merged = merged.merge(Config(**self.params["aws_config"]))  # as amazon.aws merges it: last
        return boto3.client(service, region_name="eu-west-1", endpoint_url=self.endpoint, config=merged,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def test_a_burst_of_throttles_is_retried_through(busy_ecs):
    _server, url = busy_ecs
    _ThrottlingECS.throttles = 5
    client = aws_common.client(FakeModule(url), "ecs")
    assert client.list_clusters()["clusterArns"]
    assert _ThrottlingECS.seen == 6
    _ThrottlingECS.seen, _ThrottlingECS.throttles = 0, 10
    with pytest.raises(botocore.exceptions.ClientError):
        client.list_clusters()  # bounded: 10 attempts in all, then the error
    assert _ThrottlingECS.seen == 10


def test_the_sdk_default_gives_up_on_the_same_burst(busy_ecs):
    """Why the policy exists: botocore's default (standard mode, 3 attempts) fails on 3 throttles."""
    _server, url = busy_ecs
    _ThrottlingECS.throttles = 3
    plain = boto3.client("ecs", region_name="eu-west-1", endpoint_url=url,
                         aws_access_key_id="testing", aws_secret_access_key="testing",
                         config=Config(retries={"mode": "standard"}))
    with pytest.raises(botocore.exceptions.ClientError) as err:
        plain.list_clusters()
    assert err.value.response["Error"]["Code"] == "ThrottlingException"


def test_paginated_calls_are_retried_page_by_page(busy_ecs):
    _server, url = busy_ecs
    _ThrottlingECS.throttles = 4
    client = aws_common.client(FakeModule(url), "ecs")
    pages = list(client.get_paginator("list_clusters").paginate())
    assert pages[0]["clusterArns"] and _ThrottlingECS.seen == 5


def test_the_users_retry_settings_win(busy_ecs, monkeypatch):
    _server, url = busy_ecs
    _ThrottlingECS.throttles = 3
    module = FakeModule(url, aws_config={"retries": {"mode": "standard", "total_max_attempts": 2}})
    assert aws_common.retry_config(module) is None
    with pytest.raises(botocore.exceptions.ClientError):
        aws_common.client(module, "ecs").list_clusters()
    assert _ThrottlingECS.seen == 2
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    assert aws_common.retry_config(FakeModule(url)) is None


def test_every_protocols_throttling_code_is_retried_by_awsretry():
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

    for code in ("ThrottlingException", "RequestLimitExceeded", "Throttling", "TooManyRequestsException"):
        assert AWSRetry.found(code, list(aws_common.THROTTLING_CODES)), code
