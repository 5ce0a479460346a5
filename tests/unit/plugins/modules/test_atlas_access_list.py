"""atlas_access_list against the in-process Atlas stand-in: behaviour and request counts."""

from __future__ import annotations

import datetime
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "atlas"))

from atlas_testlib import PROJECT_ID, auth_args, run_module, standin  # noqa: E402,F401  pylint: disable=unused-import

from ansible_collections.stackops.ecs_webstack.plugins.modules import atlas_access_list  # noqa: E402

MARK = "managed-by:stackops.ecs_webstack:webstack-test"
THREE = [
    {"ip_address": "203.0.113.10", "comment": MARK},
    {"cidr_block": "198.51.100.0/24", "comment": MARK},
    {"ip_address": "192.0.2.7", "comment": MARK + " task"},
]


def run(server, check=False, diff=False, **args):
    params = dict(auth_args(server), project_id=PROJECT_ID)
    params.update(args)
    return run_module(atlas_access_list.main, params, check=check, diff=diff)


def keys(entries):
    return sorted(e.get("cidrBlock") or e.get("awsSecurityGroup") for e in entries)


def test_create_three_then_rerun_then_change_purge_and_remove_all(standin):
    # 1. create 3 entries: one list read, ONE POST carrying all three, no DELETE
    result, failed = run(standin, entries=THREE)
    assert not failed, result
    assert result["changed"] is True
    assert sorted(result["added"]) == ["192.0.2.7/32", "198.51.100.0/24", "203.0.113.10/32"]
    assert len(standin.list_reads()) == 1
    writes = standin.writes()
    assert [w["method"] for w in writes] == ["POST"]
    assert keys(standin.entries()) == ["192.0.2.7/32", "198.51.100.0/24", "203.0.113.10/32"]
    assert keys(result["entries"]) == keys(standin.entries())

    # 2. re-run: changed=0, exactly one list read and no write
    standin.clear()
    result, failed = run(standin, entries=THREE)
    assert not failed, result
    assert result["changed"] is False
    assert result["added"] == [] and result["removed"] == [] and result["updated"] == []
    assert len(standin.list_reads()) == 1
    assert standin.api_requests() == standin.list_reads()
    assert standin.writes() == []

    # 3. change one comment: one POST with that entry only
    standin.clear()
    changed = [dict(THREE[0]), THREE[1], THREE[2]]
    changed[0]["comment"] = MARK + " nat"
    result, failed = run(standin, entries=changed)
    assert not failed, result
    assert result["changed"] is True
    assert result["updated"] == ["203.0.113.10/32"] and result["added"] == []
    assert [w["method"] for w in standin.writes()] == ["POST"]
    stored = {e["cidrBlock"]: e for e in standin.entries()}
    assert stored["203.0.113.10/32"]["comment"] == MARK + " nat"

    # 4. purge: keep two, an unmanaged entry survives, the stale managed one goes with one DELETE
    run(standin, entries=[{"cidr_block": "10.20.0.0/16", "comment": "added by hand"}])
    standin.clear()
    result, failed = run(standin, entries=changed[:2], purge=True, purge_comment_prefix=MARK)
    assert not failed, result
    assert result["removed"] == ["192.0.2.7/32"]
    assert [(w["method"], w["path"].rsplit("/", 1)[1]) for w in standin.writes()] == [("DELETE", "192.0.2.7")]
    assert "10.20.0.0/16" in keys(standin.entries())
    assert keys(result["entries"]) == keys(standin.entries())

    # 5. remove all managed entries: one DELETE each, CIDR URL-encoded
    standin.clear()
    result, failed = run(standin, state="absent", purge=True, purge_comment_prefix=MARK)
    assert not failed, result
    assert sorted(result["removed"]) == ["198.51.100.0/24", "203.0.113.10/32"]
    deletes = sorted(w["path"].rsplit("/", 1)[1] for w in standin.writes())
    assert deletes == ["198.51.100.0%2F24", "203.0.113.10"]
    assert keys(standin.entries()) == ["10.20.0.0/16"]
    assert len(standin.list_reads()) == 1


def test_purge_without_prefix_removes_every_unlisted_entry(standin):
    run(standin, entries=THREE)
    standin.clear()
    result, failed = run(standin, entries=[THREE[1]], purge=True)
    assert not failed, result
    assert sorted(result["removed"]) == ["192.0.2.7/32", "203.0.113.10/32"]
    assert len(standin.writes()) == 2
    assert keys(standin.entries()) == ["198.51.100.0/24"]


def test_check_mode_sends_no_write_and_predicts(standin):
    run(standin, entries=THREE[:1])
    standin.clear()
    result, failed = run(standin, check=True, diff=True, entries=THREE[1:], purge=True)
    assert not failed, result
    assert result["changed"] is True
    assert standin.writes() == []
    assert keys(standin.entries()) == ["203.0.113.10/32"]  # untouched
    assert keys(result["entries"]) == ["192.0.2.7/32", "198.51.100.0/24"]
    assert result["removed"] == ["203.0.113.10/32"]


def test_diff_shows_before_and_after(standin):
    run(standin, entries=THREE[:1])
    result, failed = run(standin, diff=True, entries=[{"ip_address": "203.0.113.10", "comment": "new"}])
    assert not failed, result
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert [e["comment"] for e in before] == [MARK]
    assert [e["comment"] for e in after] == ["new"]
    assert "links" not in before[0] and "groupId" not in before[0]


def test_ip_address_equals_its_slash_32(standin):
    run(standin, entries=[{"ip_address": "203.0.113.10", "comment": "a"}])
    standin.clear()
    result, failed = run(standin, entries=[{"cidr_block": "203.0.113.10/32", "comment": "a"}])
    assert not failed and result["changed"] is False
    assert standin.writes() == []


def test_expiry_change_deletes_then_adds(standin):
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run(standin, entries=[{"cidr_block": "198.51.100.0/24"}])
    standin.clear()
    result, failed = run(standin, entries=[{"cidr_block": "198.51.100.0/24", "delete_after_date": soon}])
    assert not failed, result
    assert result["updated"] == ["198.51.100.0/24"]
    assert [w["method"] for w in standin.writes()] == ["DELETE", "POST"]
    assert standin.entries()[0]["deleteAfterDate"] == soon
    standin.clear()
    result, failed = run(standin, entries=[{"cidr_block": "198.51.100.0/24", "delete_after_date": soon}])
    assert result["changed"] is False and standin.writes() == []


def test_wait_polls_until_active(standin):
    result, failed = run(standin, entries=THREE[:2], wait=True, wait_timeout=20)
    assert not failed, result
    polls = standin.requests(method="GET", path_suffix="/status")
    assert {p["path"].rsplit("/", 2)[1] for p in polls} == {"203.0.113.10", "198.51.100.0%2F24"}
    for entry in standin.server.state.projects[PROJECT_ID]["entries"].values():
        assert entry["active_at"] <= standin.requests()[-1]["ts"] + 0.01


def _past():
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("entry, field", [
    ({"ip_address": "203.0.113.10", "cidr_block": "203.0.113.10/32"}, "entries[0]: set exactly one"),
    ({"cidr_block": "300.1.2.0/24"}, "entries[0].cidr_block"),
    ({"cidr_block": "10.1.2.3/8"}, "the network is 10.0.0.0/8"),
    ({"ip_address": "10.0.0.0/24"}, "entries[0].ip_address"),
    ({"ip_address": "203.0.113.10", "comment": "x" * 81}, "entries[0].comment"),
    ({"ip_address": "203.0.113.10", "delete_after_date": "PAST"}, "entries[0].delete_after_date"),
    ({"aws_security_group": "sg-12"}, "entries[0].aws_security_group"),
    ({}, "none given"),
])
def test_bad_input_fails_before_any_call(standin, entry, field):
    if entry.get("delete_after_date") == "PAST":
        entry = dict(entry, delete_after_date=_past())
    result, failed = run(standin, entries=[entry])
    assert failed
    assert field in result["msg"]
    assert standin.state.requests == []


def test_duplicate_entries_fail_before_any_call(standin):
    result, failed = run(standin, entries=[{"ip_address": "192.0.2.7"}, {"cidr_block": "192.0.2.7/32"}])
    assert failed and "entries[1]" in result["msg"] and "entries[0]" in result["msg"]
    assert standin.state.requests == []


def test_unknown_project_says_what_to_do(standin):
    params = dict(auth_args(standin), project_id="0123456789abcdef01234567", entries=[])
    result, failed = run_module(atlas_access_list.main, params)
    assert failed
    assert "GROUP_NOT_FOUND" in result["msg"] and "Project Settings" in result["msg"]
    assert result["error"]["error_code"] == "GROUP_NOT_FOUND"


def test_wrong_keys_say_what_to_do_and_hide_the_secret(standin):
    params = dict(auth_args(standin), private_key="wrong-private-key", project_id=PROJECT_ID, entries=[])
    result, failed = run_module(atlas_access_list.main, params)
    assert failed
    assert "public_key/private_key" in result["msg"]
    assert "wrong-private-key" not in repr(result)


def test_service_account_works(standin):
    params = {"api_base_url": standin.url, "client_id": "mdb_sa_id_local", "client_secret": "mdb_sa_sk_local",
              "project_id": PROJECT_ID, "entries": THREE[:1]}
    result, failed = run_module(atlas_access_list.main, params)
    assert not failed and result["changed"] is True
    assert len(standin.requests(kind="token")) == 1
