"""The stand-in itself: control endpoints, request log file, upsert, status, codes, CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from atlas_testlib import PRIVATE_KEY, PROJECT_ID, PUBLIC_KEY, REPO

import atlas_standin  # pylint: disable=unused-import
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import AtlasClient, AtlasError

import pytest


def _client(url):
    return AtlasClient(base_url=url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, sleep=lambda s: None)


def test_upsert_updates_comment_and_never_duplicates(standin):
    client = _client(standin.url)
    client.add_access_list_entries(PROJECT_ID, [{"ipAddress": "192.0.2.1", "comment": "a"}])
    after = client.add_access_list_entries(PROJECT_ID, [{"cidrBlock": "192.0.2.1/32", "comment": "b"}])
    assert len(after) == 1 and after[0]["comment"] == "b" and after[0]["ipAddress"] == "192.0.2.1"


def test_status_goes_pending_then_active(standin):
    client = _client(standin.url)
    client.add_access_list_entries(PROJECT_ID, [{"ipAddress": "192.0.2.1"}])
    assert client.access_list_entry_status(PROJECT_ID, "192.0.2.1") == "PENDING"
    time.sleep(0.25)
    assert client.access_list_entry_status(PROJECT_ID, "192.0.2.1") == "ACTIVE"


@pytest.mark.parametrize("body, code", [
    ([{"cidrBlock": "10.1.2.3/8"}], "INVALID_CIDR_BLOCK"),
    ([{"ipAddress": "10.0.0.1", "cidrBlock": "10.0.0.1/32"}], "MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY"),
    ([{"ipAddress": "10.0.0.1"}, {"cidrBlock": "10.0.0.1/32"}], "DUPLICATE_ADDRESSES_IN_INPUT"),
    ([{"ipAddress": "10.0.0.1", "groupId": PROJECT_ID}], "INVALID_ATTRIBUTE"),
    ([{"ipAddress": "10.0.0.1", "comment": "x" * 81}], "INVALID_NETWORK_PERMISSION_COMMENT"),
    ([{"ipAddress": "10.0.0.1", "deleteAfterDate": "2001-01-01T00:00:00Z"}], "EXPIRATION_DATE_IN_PAST"),
    ({"ipAddress": "10.0.0.1"}, "INVALID_JSON"),
])
def test_post_rejections(standin, body, code):
    with pytest.raises(AtlasError) as err:
        _client(standin.url).request("POST", "/groups/%s/accessList" % PROJECT_ID, body=body)
    assert err.value.status == 400 and err.value.error_code == code
    assert standin.entries() == []


def test_unencoded_cidr_in_delete_is_not_found(standin):
    client = _client(standin.url)
    client.add_access_list_entries(PROJECT_ID, [{"cidrBlock": "198.51.100.0/24"}])
    with pytest.raises(AtlasError) as err:
        client.request("DELETE", "/groups/%s/accessList/198.51.100.0/24" % PROJECT_ID)
    assert err.value.status == 404
    assert len(standin.entries()) == 1


def test_cluster_not_found_code(standin):
    with pytest.raises(AtlasError) as err:
        _client(standin.url).get_cluster(PROJECT_ID, "nope")
    assert err.value.error_code == "CLUSTER_NOT_FOUND"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as res:  # noqa: S310 - loopback
        return json.loads(res.read())


def test_cli_process_health_faults_reset_and_request_log(tmp_path):
    port = _free_port()
    log = tmp_path / "atlas-requests.jsonl"
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, "tools", "emulators", "atlas_standin.py"),
                             "--port", str(port), "--request-log", str(log), "--project-id", "aaaaaaaaaaaaaaaaaaaaaaaa",
                             "--pending-seconds", "0"])
    url = "http://127.0.0.1:%d" % port
    try:
        for _attempt in range(100):
            try:
                with urllib.request.urlopen(url + "/_standin/health", timeout=1) as res:  # noqa: S310
                    assert res.status == 200
                    break
            except OSError:
                time.sleep(0.05)
        client = _client(url)
        client.add_access_list_entries("aaaaaaaaaaaaaaaaaaaaaaaa", [{"ipAddress": "192.0.2.1"}])
        _post(url + "/_standin/faults", {"status": 500, "count": 1})
        assert len(client.list_access_list("aaaaaaaaaaaaaaaaaaaaaaaa")) == 1
        state = json.loads(urllib.request.urlopen(url + "/_standin/state", timeout=5).read())  # noqa: S310
        assert state["projects"]["aaaaaaaaaaaaaaaaaaaaaaaa"]["entries"][0]["STATUS"] == "ACTIVE"
        _post(url + "/_standin/reset", {})
        assert client.list_access_list("aaaaaaaaaaaaaaaaaaaaaaaa") == []
        records = [json.loads(line) for line in log.read_text().splitlines()]
        assert [(r["method"], r["status"], r["kind"]) for r in records] == [
            ("POST", 401, "auth"), ("POST", 200, "write"), ("GET", 500, "read"), ("GET", 200, "read"),
            ("GET", 401, "auth"), ("GET", 200, "read")]  # reset forgets the nonces: a new challenge
        assert all("/_standin" not in r["path"] for r in records)
        assert records[1]["query"].startswith("pageNum=1")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
