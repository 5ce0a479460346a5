"""atlas_access_list's production and allow_open options: an entry open to the whole internet, in any
spelling, is refused before any call to Atlas (in production whatever allow_open says)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "atlas"))

from atlas_testlib import PROJECT_ID, auth_args, run_module, standin  # noqa: E402,F401  pylint: disable=unused-import

from ansible_collections.stackops.ecs_webstack.plugins.modules import atlas_access_list  # noqa: E402

OPEN_ENTRIES = [
    {"cidr_block": "0.0.0.0/0"},
    {"cidr_block": " 0.0.0.0/0 "},
    {"cidr_block": "0.0.0.0/00"},
    {"cidr_block": "10.0.0.0/0"},
    {"cidr_block": "::/0"},
    {"cidr_block": "0::0/0"},
    {"cidr_block": "0000:0000:0000:0000:0000:0000:0000:0000/0"},
    {"cidr_block": "::ffff:0.0.0.0/96"},
    {"ip_address": "0.0.0.0/0"},
    {"ip_address": "::/0"},
]


def run(server, **args):
    params = dict(auth_args(server), project_id=PROJECT_ID)
    params.update(args)
    return run_module(atlas_access_list.main, params)


@pytest.mark.parametrize("entry", OPEN_ENTRIES, ids=lambda e: "%s=%s" % next(iter(e.items())))
@pytest.mark.parametrize("allow_open", [False, True])
def test_production_refuses_every_spelling_before_any_call(standin, entry, allow_open):
    result, failed = run(standin, entries=[{"ip_address": "203.0.113.10"}, dict(entry, comment="x")],
                         production=True, allow_open=allow_open)
    assert failed, result
    assert "entries[1]" in result["msg"] and "production is true" in result["msg"]
    assert "whole internet" in result["msg"]
    assert standin.state.requests == []


@pytest.mark.parametrize("entry", OPEN_ENTRIES, ids=lambda e: "%s=%s" % next(iter(e.items())))
def test_outside_production_an_open_entry_needs_allow_open(standin, entry):
    result, failed = run(standin, entries=[entry])
    assert failed, result
    assert "entries[0]" in result["msg"] and "allow_open: true" in result["msg"]
    assert standin.state.requests == []


def test_outside_production_allow_open_admits_it(standin):
    result, failed = run(standin, entries=[{"cidr_block": "0.0.0.0/0", "comment": "load test"}], allow_open=True)
    assert not failed, result
    assert result["added"] == ["0.0.0.0/0"]
    assert [w["method"] for w in standin.writes()] == ["POST"]


def test_a_host_bits_spelling_is_refused_as_open_not_told_to_become_0_0_0_0(standin):
    result, failed = run(standin, entries=[{"cidr_block": "10.0.0.0/0"}])
    assert failed
    assert "whole internet" in result["msg"] and "host bits" not in result["msg"]


def test_removing_an_open_entry_needs_no_consent_even_in_production(standin):
    run(standin, entries=[{"cidr_block": "0.0.0.0/0", "comment": "by hand"}], allow_open=True)
    standin.clear()
    result, failed = run(standin, entries=[{"cidr_block": "0.0.0.0/00"}], state="absent", production=True)
    assert not failed, result
    assert result["removed"] == ["0.0.0.0/0"]


def test_production_warns_about_an_open_entry_it_did_not_add(standin, capsys):
    run(standin, entries=[{"cidr_block": "0.0.0.0/0", "comment": "by hand"}], allow_open=True)
    capsys.readouterr()
    result, failed = run(standin, entries=[{"ip_address": "203.0.113.10"}], production=True)
    assert not failed, result
    warned = capsys.readouterr().err
    assert "still admits the whole internet" in warned and "0.0.0.0/0 (comment 'by hand')" in warned, warned
    # and a purge in production removes it without a warning
    result, failed = run(standin, entries=[{"ip_address": "203.0.113.10"}], production=True, purge=True)
    assert not failed and "0.0.0.0/0" in result["removed"]
    assert "still admits" not in capsys.readouterr().err


def test_known_networks_pass_in_production(standin):
    result, failed = run(standin, entries=[{"cidr_block": "0.0.0.0/1"}, {"ip_address": "::ffff:203.0.113.7"}],
                         production=True)
    assert not failed, result
    assert sorted(result["added"]) == ["0.0.0.0/1", "::ffff:cb00:7107/128"]
