"""The access-list sync Lambda handler against the stand-in: ECS task event in, POST/DELETE out."""

from __future__ import annotations

import json
import zipfile

import boto3
import pytest
from botocore.stub import Stubber

from atlas_testlib import PROJECT_ID, PRIVATE_KEY, PUBLIC_KEY, REPO

import atlas_sync_lambda as lam
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import AtlasClient

MARK = "managed-by:stackops.ecs_webstack:webstack-local"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/webstack-local/0123456789abcdef0123456789abcdef"
OTHER = "arn:aws:ecs:us-east-1:123456789012:task/webstack-local/fedcba9876543210fedcba9876543210"
SETTINGS = {"project_id": PROJECT_ID, "mark": MARK, "group": "service:backend"}


def event(status, task=TASK, group="service:backend", eni="eni-0abc"):
    return {"detail-type": "ECS Task State Change", "source": "aws.ecs", "detail": {
        "taskArn": task, "group": group, "lastStatus": status,
        "desiredStatus": "RUNNING" if status == "RUNNING" else "STOPPED",
        "attachments": [{"type": "eni", "status": "ATTACHED", "details": [
            {"name": "networkInterfaceId", "value": eni}, {"name": "privateIPv4Address", "value": "10.0.1.9"}]}]}}


@pytest.fixture
def ec2():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _eni(stub, ip, eni="eni-0abc"):
    stub.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        {"NetworkInterfaceId": eni, "Association": {"PublicIp": ip}}]}, {"NetworkInterfaceIds": [eni]})


def _atlas(standin):
    return AtlasClient(base_url=standin.url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY)


def test_running_admits_then_stopped_removes(standin, ec2):
    client, stub = ec2
    atlas = _atlas(standin)
    _eni(stub, "203.0.113.50")
    result = lam.handle(event("RUNNING"), atlas, client, SETTINGS)
    assert result == {"action": "added", "entry": "203.0.113.50/32", "comment": MARK + " task:0123456789ab"}
    assert [(r["method"], r["status"]) for r in standin.api_requests()] == [("GET", 200), ("POST", 200)]
    assert standin.entries()[0]["ipAddress"] == "203.0.113.50"

    standin.clear()
    _eni(stub, "203.0.113.50")
    assert lam.handle(event("RUNNING"), atlas, client, SETTINGS)["action"] == "none"  # repeated event
    assert standin.writes() == []

    standin.clear()
    result = lam.handle(event("STOPPED"), atlas, client, SETTINGS)
    assert result["action"] == "removed" and result["entries"] == ["203.0.113.50/32"]
    assert [(r["method"], r["path"].rsplit("/", 1)[1]) for r in standin.writes()] == [("DELETE", "203.0.113.50")]
    assert standin.entries() == []


def test_ip_reused_by_a_new_task_is_kept_when_the_old_task_stops(standin, ec2):
    client, stub = ec2
    atlas = _atlas(standin)
    _eni(stub, "203.0.113.50")
    lam.handle(event("RUNNING"), atlas, client, SETTINGS)
    _eni(stub, "203.0.113.50", eni="eni-0def")
    lam.handle(event("RUNNING", task=OTHER, eni="eni-0def"), atlas, client, SETTINGS)
    standin.clear()
    assert lam.handle(event("STOPPED"), atlas, client, SETTINGS)["action"] == "none"
    assert standin.writes() == []
    assert standin.entries()[0]["comment"] == MARK + " task:fedcba987654"


def test_other_services_and_unmanaged_entries_are_left_alone(standin, ec2):
    client, _stub = ec2
    atlas = _atlas(standin)
    atlas.add_access_list_entries(PROJECT_ID, [{"cidrBlock": "198.51.100.0/24", "comment": "by hand"}])
    standin.clear()
    assert lam.handle(event("RUNNING", group="service:frontend"), atlas, client, SETTINGS)["action"] == "ignored"
    assert lam.handle(event("STOPPED"), atlas, client, SETTINGS)["action"] == "none"
    assert standin.writes() == [] and len(standin.entries()) == 1


def test_handler_reads_the_secret_once_and_reuses_the_token(standin, ec2, monkeypatch):
    client, stub = ec2
    secrets = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    monkeypatch.setattr(lam, "_CACHE", {})
    monkeypatch.setenv("ATLAS_PROJECT_ID", PROJECT_ID)
    monkeypatch.setenv("ATLAS_COMMENT_MARK", MARK)
    monkeypatch.setenv("ECS_SERVICE_GROUP", "service:backend")
    monkeypatch.setenv("ATLAS_SECRET_ID", "webstack/local/atlas")
    monkeypatch.setenv("MONGODB_ATLAS_BASE_URL", standin.url)
    with Stubber(secrets) as sstub:
        sstub.add_response("get_secret_value", {"SecretString": json.dumps(
            {"client_id": "mdb_sa_id_local", "client_secret": "mdb_sa_sk_local"})}, {"SecretId": "webstack/local/atlas"})
        _eni(stub, "203.0.113.50")
        clients = {"secretsmanager": secrets, "ec2": client}
        assert lam.handler(event("RUNNING"), None, clients=clients)["action"] == "added"
        assert lam.handler(event("STOPPED"), None, clients=clients)["action"] == "removed"
        sstub.assert_no_pending_responses()
    assert len(standin.requests(kind="token")) == 1


def test_packaged_zip_imports_without_ansible(tmp_path):
    """What the role zips (handler + atlas_client + atlas_entries) must import on its own."""
    import subprocess
    import sys

    out = tmp_path / "fn.zip"
    subprocess.run([sys.executable, "%s/roles/atlas_access/files/build_lambda_zip.py" % REPO, str(out),
                    "%s/roles/atlas_access/files/atlas_sync_lambda.py" % REPO,
                    "%s/plugins/module_utils/atlas_client.py" % REPO,
                    "%s/plugins/module_utils/atlas_entries.py" % REPO], check=True, capture_output=True)
    first = out.read_bytes()
    subprocess.run([sys.executable, "%s/roles/atlas_access/files/build_lambda_zip.py" % REPO, str(out),
                    "%s/roles/atlas_access/files/atlas_sync_lambda.py" % REPO,
                    "%s/plugins/module_utils/atlas_client.py" % REPO,
                    "%s/plugins/module_utils/atlas_entries.py" % REPO], check=True, capture_output=True)
    assert out.read_bytes() == first  # deterministic, so amazon.aws.lambda stays idempotent
    assert sorted(zipfile.ZipFile(out).namelist()) == ["atlas_client.py", "atlas_entries.py", "atlas_sync_lambda.py"]
    code = ("import sys; sys.modules['ansible'] = None; sys.modules['ansible_collections'] = None; "
            "sys.path.insert(0, %r); import atlas_sync_lambda; print(atlas_sync_lambda.AtlasClient.__module__)" % str(out))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "atlas_client"
