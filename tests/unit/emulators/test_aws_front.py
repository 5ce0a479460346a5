"""tools/emulators/aws_front.py: AWS's throttling and lag, as botocore sees them, before a real moto server.

One moto server (moto_launcher.py, a free port) and one front (in a thread, port 0) serve the
module; each test starts from an empty moto, an empty front state and its own config. Clients are
real boto3 clients in standard retry mode; ``total_max_attempts`` is botocore's count of attempts
including the first (``max_attempts`` in a client Config counts retries only).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries import standard

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EMULATORS = os.path.join(REPO, "tools", "emulators")
sys.path.insert(0, EMULATORS)

import aws_front  # noqa: E402
import ctl  # noqa: E402

REGION = "eu-west-1"
ACCOUNT = "123456789012"
WINDOW = 0.4  # seconds of the consistency windows under test
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url, proc=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
                return response.status
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{url}: process exited with {proc.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _http(method, url, payload=None):
    data = None if payload is None else (payload if isinstance(payload, bytes) else json.dumps(payload).encode())
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="false")
    moto = subprocess.Popen(  # noqa: S603 - fixed command line
        [sys.executable, os.path.join(EMULATORS, "moto_launcher.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        moto_url = f"http://127.0.0.1:{port}"
        _wait(moto_url + "/moto-api/", moto)
        log = str(tmp_path_factory.mktemp("front") / "front-requests.jsonl")
        server = aws_front.serve_in_thread(upstream=moto_url, request_log=log)
        try:
            yield {"moto": moto_url, "url": server.url, "log": log, "server": server}
        finally:
            server.shutdown()
            server.server_close()
    finally:
        _stop(moto)


@pytest.fixture
def front(stack, monkeypatch):
    """The front with everything off, no state and an empty log (moto keeps what it has)."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_URL", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(key, raising=False)
    assert _http("POST", stack["url"] + "/_front/config", {}) == (200, aws_front.validate_config({}))
    assert _http("POST", stack["url"] + "/_front/reset", b"") == (200, {"ok": True})
    return stack


@pytest.fixture
def empty_account(front):
    """An empty moto account behind the front (for tests that create named resources)."""
    with urllib.request.urlopen(  # noqa: S310 - loopback only
        urllib.request.Request(front["moto"] + "/moto-api/reset", method="POST"), timeout=10
    ) as response:
        assert response.status == 200


def configure(front, cfg):
    status, body = _http("POST", front["url"] + "/_front/config", cfg)
    assert status == 200, body
    return body


def client(front, service, attempts=1):
    return boto3.client(
        service, endpoint_url=front["url"], region_name=REGION,
        aws_access_key_id="AKIDFRONTTEST", aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def records(front):
    with open(front["log"], encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def is_botocore_throttle(err):
    """What botocore's standard retry mode makes of this error response."""
    context = standard.RetryContext(attempt_number=1, parsed_response=err.response)
    detector = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())
    # The fixed list of throttling codes (ThrottledRetryableChecker) and the detector the backoff uses.
    return standard.ThrottledRetryableChecker().is_retryable(context) and detector.is_throttling_error_from_context(
        context)


@pytest.fixture
def backoffs(monkeypatch):
    """Record, per retry, whether botocore backs off as for a throttle; no real sleeping."""
    seen = []

    def delay_amount(self, context):
        seen.append(self._get_base_scale(context) == self._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"])
        return 0

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", delay_amount)
    return seen


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


# ------------------------------------------------------------------ pass-through
@pytest.mark.usefixtures("empty_account")
def test_pass_through(front):
    assert client(front, "ecs").list_clusters()["clusterArns"] == []
    vpcs = client(front, "ec2").describe_vpcs()["Vpcs"]
    assert vpcs and vpcs[0]["IsDefault"]
    role = client(front, "iam").create_role(RoleName="plain", AssumeRolePolicyDocument=TRUST)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/plain"
    assert client(front, "lambda").list_functions()["Functions"] == []
    assert client(front, "route53").list_hosted_zones()["HostedZones"] == []
    assert client(front, "s3").list_buckets()["Buckets"] == []
    # moto-api and control requests are not logged; every AWS request is, as forwarded.
    with urllib.request.urlopen(front["url"] + "/moto-api/", timeout=10) as response:  # noqa: S310 - loopback only
        assert b"Moto" in response.read()
    _http("GET", front["url"] + "/_front/health")
    log = records(front)
    assert [(r["service"], r["action"], r["status"], r["outcome"]) for r in log] == [
        ("ecs", "ListClusters", 200, "forwarded"),
        ("ec2", "DescribeVpcs", 200, "forwarded"),
        ("iam", "CreateRole", 200, "forwarded"),
        ("lambda", "ListFunctions", 200, "forwarded"),
        ("route53", "ListHostedZones", 200, "forwarded"),
        ("s3", "ListBuckets", 200, "forwarded"),
    ]
    assert {r["region"] for r in log} == {REGION}
    assert set(log[0]) == {"ts", "service", "region", "action", "method", "path", "status", "outcome"}


def test_control_endpoints(front):
    assert _http("GET", front["url"] + "/_front/health") == (200, {"ok": True})
    assert _http("GET", front["url"] + "/_front/config") == (200, {
        "throttle": {}, "iam_role_propagation_seconds": 0, "eni_linger_seconds": 0})
    cfg = configure(front, {"throttle": {"ecs": {"every": 20}}, "eni_linger_seconds": 15})
    assert cfg == {"throttle": {"ecs": {"every": 20, "burst": 1, "first": False}},
                   "iam_role_propagation_seconds": 0, "eni_linger_seconds": 15}
    assert _http("GET", front["url"] + "/_front/config") == (200, cfg)
    assert _http("GET", front["url"] + "/_front/nothing")[0] == 404


@pytest.mark.parametrize("cfg, words", [
    ({"throttles": {}}, "unknown key 'throttles'"),
    ({"throttle": {"ecs": {"every": 2, "burts": 3}}}, "unknown key 'burts'"),
    ({"throttle": {"ecs": {"burst": 0}}}, "burst must be an integer >= 1"),
    ({"throttle": {"ecs": {"every": "2"}}}, "every must be an integer >= 0"),
    ({"throttle": {"ecs": {"first": 1}}}, "first must be true or false"),
    ({"throttle": {"ECS service": {}}}, "signing name"),
    ({"throttle": {"s3": {"first": True}}}, "s3 is never throttled"),
    ({"throttle": []}, "throttle must be an object"),
    ({"eni_linger_seconds": -1}, "eni_linger_seconds must be a number >= 0"),
    ({"iam_role_propagation_seconds": True}, "iam_role_propagation_seconds must be a number"),
    ([], "must be a JSON object"),
])
def test_config_validation(front, cfg, words):
    configure(front, {"eni_linger_seconds": 5})
    status, body = _http("POST", front["url"] + "/_front/config", cfg)
    assert status == 400
    assert words in body["message"]
    assert _http("GET", front["url"] + "/_front/config")[1]["eni_linger_seconds"] == 5  # unchanged


def test_config_that_is_not_json(front):
    status, body = _http("POST", front["url"] + "/_front/config", b"{nope")
    assert status == 400 and body["message"]


# ------------------------------------------------------------------ throttling, per protocol
THROTTLES = [
    # service, call, kwargs, protocol, code, HTTP status
    ("ecs", "list_clusters", {}, "json", "ThrottlingException", 400),
    ("ecr", "describe_repositories", {}, "json", "ThrottlingException", 400),
    ("logs", "describe_log_groups", {}, "json", "ThrottlingException", 400),
    ("secretsmanager", "list_secrets", {}, "json", "ThrottlingException", 400),
    ("servicediscovery", "list_namespaces", {}, "json", "ThrottlingException", 400),
    ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "ecs"}, "json",
     "ThrottlingException", 400),
    ("events", "list_rules", {}, "json", "ThrottlingException", 400),
    ("ssm", "describe_parameters", {}, "json", "ThrottlingException", 400),
    ("ec2", "describe_vpcs", {}, "ec2", "RequestLimitExceeded", 503),
    ("iam", "list_roles", {}, "query", "Throttling", 400),
    ("sts", "get_caller_identity", {}, "query", "Throttling", 400),
    ("elasticache", "describe_cache_clusters", {}, "query", "Throttling", 400),
    ("elbv2", "describe_load_balancers", {}, "query", "Throttling", 400),
    ("autoscaling", "describe_auto_scaling_groups", {}, "query", "Throttling", 400),
    ("lambda", "list_functions", {}, "rest-json", "TooManyRequestsException", 429),
    ("route53", "list_hosted_zones", {}, "rest-xml", "Throttling", 400),
]


@pytest.mark.parametrize("service, call, kwargs, protocol, code, status", THROTTLES,
                         ids=[t[0] for t in THROTTLES])
def test_throttle_as_botocore_parses_it(front, backoffs, service, call, kwargs, protocol, code, status):
    configure(front, {"throttle": {"*": {"first": True}}})
    aws = client(front, service)
    with pytest.raises(ClientError) as caught:
        getattr(aws, call)(**kwargs)
    err = caught.value
    assert err.response["Error"]["Code"] == code
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert err.response["Error"]["Message"] == ("Request limit exceeded." if protocol == "ec2" else "Rate exceeded")
    assert err.response["ResponseMetadata"]["RequestId"]
    assert is_botocore_throttle(err)
    if protocol == "query":
        assert err.response["Error"]["Type"] == "Sender"
    if protocol == "rest-json":
        assert isinstance(err, aws.exceptions.TooManyRequestsException)
        assert err.response["Reason"] == "CallerRateLimitExceeded"
        assert err.response["Type"] == "User"
    # The same call with one retry: botocore's standard mode backs off as for a throttle and succeeds.
    configure(front, {"throttle": {"*": {"first": True}}})
    getattr(client(front, service, attempts=2), call)(**kwargs)
    assert backoffs == [True]
    log = records(front)
    assert [r["outcome"] for r in log] == ["throttled", "throttled", "forwarded"]
    assert [r["status"] for r in log] == [status, status, 200]
    assert {r["service"] for r in log} == {aws.meta.service_model.signing_name}
    assert {r["region"] for r in log} == {REGION}


def test_query_error_namespace_is_botocores():
    for service in ("iam", "sts", "elasticache", "elbv2", "autoscaling", "cloudformation", "sns", "rds"):
        model = boto3.client(service, region_name=REGION, aws_access_key_id="a",
                             aws_secret_access_key="b").meta.service_model
        assert aws_front.query_namespace(model.signing_name, model.api_version) == model.metadata["xmlNamespace"]


@pytest.mark.usefixtures("empty_account")
def test_s3_is_never_throttled(front):
    configure(front, {"throttle": {"*": {"first": True, "every": 1, "burst": 5}}})
    s3 = client(front, "s3")
    s3.create_bucket(Bucket="front-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="front-bucket", Key="a/b.txt", Body=b"x" * 5000)
    assert s3.get_object(Bucket="front-bucket", Key="a/b.txt")["Body"].read() == b"x" * 5000
    assert {r["outcome"] for r in records(front)} == {"forwarded"}


def test_service_entry_overrides_star(front):
    configure(front, {"throttle": {"*": {"first": True}, "ecs": {"every": 0}}})
    client(front, "ecs").list_clusters()
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        client(front, "ec2").describe_vpcs()


def test_burst_outlasts_default_retries_not_five_attempts(front, backoffs):
    configure(front, {"throttle": {"ecs": {"first": True, "burst": 3}}})
    with pytest.raises(ClientError) as caught:
        client(front, "ecs", attempts=3).list_clusters()  # standard mode's default: 3 attempts
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    client(front, "ecs", attempts=5).describe_clusters(clusters=["default"])  # as AWS_MAX_ATTEMPTS=5
    assert backoffs == [True] * 5
    log = records(front)
    assert [(r["action"], r["outcome"]) for r in log] == [("ListClusters", "throttled")] * 3 + [
        ("DescribeClusters", "throttled")] * 3 + [("DescribeClusters", "forwarded")]


def test_periodic_burst_throttles_one_action_others_pass(front):
    configure(front, {"throttle": {"ecs": {"every": 10, "burst": 3}}})
    ecs = client(front, "ecs")
    for _attempt in range(9):
        ecs.list_clusters()
    calls = [ecs.list_clusters, ecs.list_task_definitions, ecs.list_task_definitions, ecs.list_clusters,
             ecs.list_task_definitions, ecs.list_clusters, ecs.list_clusters]
    outcomes = []
    for call in calls:
        try:
            call()
            outcomes.append("ok")
        except ClientError as err:
            outcomes.append(err.response["Error"]["Code"])
    assert outcomes == ["ThrottlingException", "ok", "ok", "ThrottlingException", "ok", "ThrottlingException", "ok"]


def test_a_burst_always_ends_even_where_the_period_is_shorter(front, backoffs):
    """every <= burst must not throttle one call for ever: the attempt after a burst gets through."""
    configure(front, {"throttle": {"sts": {"every": 3, "burst": 3}}})
    sts = client(front, "sts", attempts=10)
    for _attempt in range(4):
        assert sts.get_caller_identity()["Account"]
    runs = [r["outcome"] for r in records(front)]
    assert runs.count("forwarded") == 4 and "throttled" in runs
    longest, current = 0, 0
    for outcome in runs:
        current = current + 1 if outcome == "throttled" else 0
        longest = max(longest, current)
    assert longest == 3


def test_reset_clears_counters_and_log_keeps_config(front):
    cfg = configure(front, {"throttle": {"ecs": {"first": True}}})
    ecs = client(front, "ecs")
    with pytest.raises(ClientError):
        ecs.list_clusters()
    ecs.list_clusters()
    assert len(records(front)) == 2
    assert _http("POST", front["url"] + "/_front/reset", b"") == (200, {"ok": True})
    assert records(front) == []
    assert _http("GET", front["url"] + "/_front/config") == (200, cfg)
    with pytest.raises(ClientError):  # ListClusters is a first request again
        ecs.list_clusters()


# ------------------------------------------------------------------ IAM role propagation
@pytest.mark.usefixtures("empty_account")
def test_role_propagation_window(front):
    configure(front, {"iam_role_propagation_seconds": WINDOW})
    iam, lam = client(front, "iam"), client(front, "lambda")
    arn = iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    create = {"FunctionName": "fn", "Runtime": "python3.12", "Role": arn, "Handler": "index.handler",
              "Code": {"ZipFile": _zip()}}
    with pytest.raises(ClientError) as caught:
        lam.create_function(**create)
    err = caught.value
    assert isinstance(err, lam.exceptions.InvalidParameterValueException)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.response["Error"]["Message"] == "The role defined for the function cannot be assumed by Lambda."
    assert not is_botocore_throttle(err)
    time.sleep(WINDOW + 0.05)
    assert lam.create_function(**create)["Role"] == arn
    # A role with a path, created just now: UpdateFunctionConfiguration is refused the same way.
    other = iam.create_role(RoleName="other", Path="/service-role/", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    assert other.endswith(":role/service-role/other")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(FunctionName="fn", Role=other)
    lam.update_function_configuration(FunctionName="fn", Timeout=10)  # no role in the body: forwarded
    log = [(r["action"], r["outcome"]) for r in records(front)]
    assert log == [("CreateRole", "forwarded"), ("CreateFunction", "consistency"), ("CreateFunction", "forwarded"),
                   ("CreateRole", "forwarded"), ("UpdateFunctionConfiguration", "consistency"),
                   ("UpdateFunctionConfiguration", "forwarded")]
    assert records(front)[1]["status"] == 400 and records(front)[1]["path"] == "/2015-03-31/functions"


@pytest.mark.usefixtures("empty_account")
def test_role_propagation_off_by_default(front):
    arn = client(front, "iam").create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    lam = client(front, "lambda")
    lam.create_function(FunctionName="fn", Runtime="python3.12", Role=arn, Handler="index.handler",
                        Code={"ZipFile": _zip()})
    assert lam.delete_function(FunctionName="fn")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_functions()["Functions"] == []  # the same keep-alive connection, after a body-less 204
    assert [r["action"] for r in records(front)][-2:] == ["DeleteFunction", "ListFunctions"]


# ------------------------------------------------------------------ ENIs that outlive their owner
def _network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    groups = [ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=vpc)["GroupId"] for i in range(3)]
    return vpc, subnet, groups


def _code(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as err:
        return err.response["Error"]["Code"], err.response["Error"]["Message"], \
            err.response["ResponseMetadata"]["HTTPStatusCode"]
    return "ok"


@pytest.mark.usefixtures("empty_account")
def test_nat_gateway_deletion_window(front):
    configure(front, {"eni_linger_seconds": WINDOW})
    ec2 = client(front, "ec2")
    vpc, subnet, (group, _g1, _g2) = _network(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert _code(ec2.delete_security_group, GroupId=group) == (
        "DependencyViolation", f"resource {group} has a dependent object", 400)
    assert _code(ec2.delete_subnet, SubnetId=subnet) == (
        "DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted.", 400)
    assert _code(ec2.delete_vpc, VpcId=vpc) == (
        "DependencyViolation", f"The vpc '{vpc}' has dependencies and cannot be deleted.", 400)
    assert _code(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == (
        "DependencyViolation", f"Network {vpc} has some mapped public address(es). Please unmap those public "
        "address(es) before detaching the gateway.", 400)
    time.sleep(WINDOW + 0.05)
    assert _code(ec2.delete_security_group, GroupId=group) == "ok"
    assert _code(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == "ok"
    outcomes = [(r["action"], r["outcome"]) for r in records(front)][-6:]
    assert outcomes == [("DeleteSecurityGroup", "consistency"), ("DeleteSubnet", "consistency"),
                        ("DeleteVpc", "consistency"), ("DetachInternetGateway", "consistency"),
                        ("DeleteSecurityGroup", "forwarded"), ("DetachInternetGateway", "forwarded")]


@pytest.mark.usefixtures("empty_account")
def test_ecs_service_deletion_window(front):
    configure(front, {"eni_linger_seconds": WINDOW})
    ec2, ecs = client(front, "ec2"), client(front, "ecs")
    vpc, _subnet, (first, second, third) = _network(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="t", containerDefinitions=[{"name": "a", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="t", desiredCount=1)
    ecs.update_service(cluster="c", service="s", desiredCount=2)  # still running tasks: no window
    assert _code(ec2.delete_security_group, GroupId=first) == "ok"
    ecs.update_service(cluster="c", service="s", desiredCount=0)
    assert _code(ec2.delete_security_group, GroupId=second)[0] == "DependencyViolation"
    # Only a NAT gateway deletion keeps public addresses mapped.
    assert _code(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc) == "ok"
    _http("POST", front["url"] + "/_front/reset", b"")  # forgets the event
    assert _code(ec2.delete_security_group, GroupId=second) == "ok"
    ecs.delete_service(cluster="c", service="s")
    assert _code(ec2.delete_security_group, GroupId=third)[0] == "DependencyViolation"
    time.sleep(WINDOW + 0.05)
    assert _code(ec2.delete_security_group, GroupId=third) == "ok"


def test_failed_deletion_opens_no_window(front):
    configure(front, {"eni_linger_seconds": WINDOW})
    ec2 = client(front, "ec2")
    _vpc, _subnet, (group, _g1, _g2) = _network(ec2)
    assert _code(client(front, "ecs").delete_service, cluster="default", service="missing")[0] != "ok"
    assert _code(client(front, "elasticache").delete_replication_group, ReplicationGroupId="missing")[0] != "ok"
    assert _code(client(front, "lambda").delete_function, FunctionName="missing")[0] == "ResourceNotFoundException"
    assert _code(ec2.delete_security_group, GroupId=group) == "ok"


def _call(service, action=None, body=b"", method="POST", path="/", form=None):
    """A request as botocore signs it, without a server (for Front's decisions alone)."""
    headers = {"Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20261203/{REGION}/{service}/aws4_request, "
                                "SignedHeaders=host;x-amz-date, Signature=0"}
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        body = "&".join(f"{k}={v}" for k, v in dict(form, Action=action, Version="2016-11-15").items()).encode()
    elif action:
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["X-Amz-Target"] = f"Prefix_20141113.{action}"
    return aws_front.Call(method, path, headers, body)


ENI_OWNERS = [
    ("ecs-delete-service", _call("ecs", "DeleteService", b'{"service": "s"}')),
    ("ecs-scale-to-zero", _call("ecs", "UpdateService", b'{"service": "s", "desiredCount": 0}')),
    ("ecs-stop-task", _call("ecs", "StopTask", b'{"task": "t"}')),
    ("elasticache-replication-group", _call("elasticache", "DeleteReplicationGroup", form={"ReplicationGroupId": "r"})),
    ("elasticache-cache-cluster", _call("elasticache", "DeleteCacheCluster", form={"CacheClusterId": "c"})),
    ("nat-gateway", _call("ec2", "DeleteNatGateway", form={"NatGatewayId": "nat-1"})),
    ("load-balancer", _call("elasticloadbalancing", "DeleteLoadBalancer", form={"LoadBalancerArn": "arn"})),
    ("lambda", _call("lambda", method="DELETE", path="/2015-03-31/functions/fn")),
]


@pytest.mark.parametrize("owner", [o[1] for o in ENI_OWNERS], ids=[o[0] for o in ENI_OWNERS])
def test_every_eni_owner_deletion_opens_the_window(owner):
    front = aws_front.Front({"eni_linger_seconds": 30})
    delete_sg = _call("ec2", "DeleteSecurityGroup", form={"GroupId": "sg-0abc"})
    detach = _call("ec2", "DetachInternetGateway", form={"InternetGatewayId": "igw-1", "VpcId": "vpc-1"})
    front.observe(owner, 400)  # refused: nothing was deleted
    assert front.decide(delete_sg) is None
    front.observe(owner, 200)
    status, _headers, body, outcome = front.decide(delete_sg)
    assert (status, outcome) == (400, "consistency")
    assert b"<Code>DependencyViolation</Code><Message>resource sg-0abc has a dependent object</Message>" in body
    assert (front.decide(detach) is not None) == (owner.action == "DeleteNatGateway")


def test_scaling_to_some_tasks_opens_no_window():
    front = aws_front.Front({"eni_linger_seconds": 30})
    front.observe(_call("ecs", "UpdateService", b'{"service": "s", "desiredCount": 1}'), 200)
    front.observe(_call("ecs", "UpdateService", b'{"service": "s", "forceNewDeployment": true}'), 200)
    assert front.decide(_call("ec2", "DeleteSubnet", form={"SubnetId": "subnet-1"})) is None


@pytest.mark.parametrize("method, path, action", [
    ("POST", "/2015-03-31/functions", "CreateFunction"),
    ("GET", "/2015-03-31/functions/", "ListFunctions"),
    ("GET", "/2015-03-31/functions/fn", "GetFunction"),
    ("DELETE", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Afn", "DeleteFunction"),
    ("PUT", "/2015-03-31/functions/fn/configuration", "UpdateFunctionConfiguration"),
    ("GET", "/2015-03-31/functions/fn/configuration", "GetFunctionConfiguration"),
    ("PUT", "/2015-03-31/functions/fn/code", "UpdateFunctionCode"),
    ("POST", "/2015-03-31/functions/fn/policy", "AddPermission"),
    ("GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aeu-west-1%3A1%3Afunction%3Afn", "ListTags"),
    ("PATCH", "/2015-03-31/functions/fn", "PATCH /2015-03-31/functions/fn"),
])
def test_lambda_action_names(method, path, action):
    assert _call("lambda", method=method, path=path).action == action


# ------------------------------------------------------------------ the command line and ctl
def test_command_line(tmp_path, stack):
    port = _free_port()
    config = tmp_path / "front.json"
    config.write_text(json.dumps({"throttle": {"ecs": {"first": True}}}))
    log = tmp_path / "log" / "requests.jsonl"
    proc = subprocess.Popen(  # noqa: S603 - fixed command line
        [sys.executable, os.path.join(EMULATORS, "aws_front.py"), "--port", str(port), "--upstream", stack["moto"],
         "--request-log", str(log), "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert _wait(url + "/_front/health", proc) == 200
        assert _http("GET", url + "/_front/config")[1]["throttle"]["ecs"]["first"] is True
        ecs = boto3.client("ecs", endpoint_url=url, region_name="us-west-2", aws_access_key_id="a",
                           aws_secret_access_key="b", config=Config(retries={"mode": "standard", "max_attempts": 1}))
        ecs.list_clusters()  # max_attempts 1 = one retry: the throttle of the first attempt is retried
        assert [(r["region"], r["outcome"]) for r in map(json.loads, log.read_text().splitlines())] == [
            ("us-west-2", "throttled"), ("us-west-2", "forwarded")]
    finally:
        _stop(proc)
    config.write_text(json.dumps({"throttle": {"ecs": {"every": -1}}}))
    bad = subprocess.run(  # noqa: S603 - fixed command line
        [sys.executable, os.path.join(EMULATORS, "aws_front.py"), "--port", str(port), "--config", str(config)],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert bad.returncode != 0 and "every must be an integer >= 0" in bad.stderr


def test_ctl_settings_and_services():
    assert ctl.settings({})["front_port"] is None
    assert "front" not in ctl.services(ctl.settings({"WEBSTACK_RUN_DIR": "/tmp/x"}))
    cfg = ctl.settings({"WEBSTACK_RUN_DIR": "/tmp/x", "WEBSTACK_MOTO_PORT": "6001", "WEBSTACK_FRONT_PORT": "6003"})
    assert cfg["front_port"] == 6003
    found = ctl.services(cfg)
    assert list(found)[:2] == ["moto", "front"]
    assert found["front"]["cmd"][1:] == [os.path.join(EMULATORS, "aws_front.py"), "--port", "6003", "--upstream",
                                         "http://127.0.0.1:6001", "--request-log", "/tmp/x/front-requests.jsonl"]
    assert found["front"]["ready"] == "http://127.0.0.1:6003/_front/health"
    assert found["front"]["marker"] == "aws_front.py"
