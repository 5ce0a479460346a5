"""Entry validation and normalisation (before any call) and the change plan."""

from __future__ import annotations

import datetime

import pytest

import atlas_testlib  # noqa: F401  pylint: disable=unused-import

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import (
    EntryError,
    entry_key,
    normalize_entries,
    normalize_entry,
    plan,
)

NOW = datetime.datetime(2030, 1, 10, 12, 0, 0, tzinfo=datetime.timezone.utc)


def test_ip_address_and_its_slash_32_are_one_entry():
    ip = normalize_entry({"ip_address": "203.0.113.10"})
    cidr = normalize_entry({"cidr_block": "203.0.113.10/32"})
    assert ip["key"] == cidr["key"] == "203.0.113.10/32"
    assert ip["payload"] == {"ipAddress": "203.0.113.10"}
    assert cidr["payload"] == {"cidrBlock": "203.0.113.10/32"}
    assert entry_key({"ipAddress": "203.0.113.10", "cidrBlock": "203.0.113.10/32"}) == ip["key"]


def test_host_bits_error_shows_the_corrected_network():
    with pytest.raises(EntryError) as err:
        normalize_entry({"cidr_block": "10.1.2.3/8"}, index=2)
    assert str(err.value).startswith("entries[2].cidr_block: 10.1.2.3/8 has host bits set; the network is 10.0.0.0/8")


@pytest.mark.parametrize("entry, message", [
    ({"cidr_block": "10.0.0.0/8", "ip_address": "10.0.0.1"}, "entries[0]: set exactly one of"),
    ({"cidr_block": "10.0.0.0/8", "aws_security_group": "sg-0123abcd"}, "got cidr_block and aws_security_group"),
    ({"comment": "x"}, "none given"),
    ({"cidr_block": "10.0.0.0/33"}, "entries[0].cidr_block: '10.0.0.0/33' is not a valid"),
    ({"ip_address": "banana"}, "entries[0].ip_address"),
    ({"ip_address": "10.0.0.1", "comment": "c" * 81}, "entries[0].comment: 81 characters"),
    ({"ip_address": "10.0.0.1", "delete_after_date": "2030-01-10T11:00:00Z"}, "is in the past"),
    ({"ip_address": "10.0.0.1", "delete_after_date": "2030-01-18T12:00:00Z"}, "more than one week ahead"),
    ({"ip_address": "10.0.0.1", "delete_after_date": "next tuesday"}, "not an ISO 8601"),
    ({"aws_security_group": "sg-0123abcd", "delete_after_date": "2030-01-11T00:00:00Z"}, "cannot be temporary"),
    ({"ip_address": "10.0.0.1", "cidr": "x"}, "unknown field(s) cidr"),
])
def test_bad_entries_name_the_field(entry, message):
    with pytest.raises(EntryError) as err:
        normalize_entry(entry, now=NOW)
    assert message in str(err.value)


def test_comment_of_80_and_dates_within_a_week_are_fine():
    norm = normalize_entry({"ip_address": "10.0.0.1", "comment": "c" * 80,
                            "delete_after_date": "2030-01-17T13:00:00+01:00"}, now=NOW)
    assert norm["delete_after_date"] == "2030-01-17T12:00:00Z"
    assert norm["payload"]["deleteAfterDate"] == "2030-01-17T12:00:00Z"


def test_ipv6_is_sent_in_full_form_and_keyed_compressed():
    norm = normalize_entry({"cidr_block": "2001:DB8::/32"})
    assert norm["key"] == "2001:db8::/32"
    assert norm["payload"]["cidrBlock"] == "2001:0db8:0000:0000:0000:0000:0000:0000/32"


def test_duplicates_are_refused():
    with pytest.raises(EntryError) as err:
        normalize_entries([{"ip_address": "10.0.0.1"}, {"cidr_block": "10.0.0.1/32"}])
    assert "entries[1]" in str(err.value)


CURRENT = [
    {"cidrBlock": "10.0.0.1/32", "ipAddress": "10.0.0.1", "comment": "managed-by:x"},
    {"cidrBlock": "10.0.0.2/32", "ipAddress": "10.0.0.2", "comment": "managed-by:x"},
    {"cidrBlock": "192.168.0.0/16", "comment": "by hand"},
    {"cidrBlock": "172.16.0.0/12"},
]


def test_plan_purge_with_prefix_keeps_unmarked_entries():
    desired = normalize_entries([{"ip_address": "10.0.0.1", "comment": "managed-by:x"},
                                 {"ip_address": "10.0.0.3", "comment": "managed-by:x"}])
    change = plan(CURRENT, desired, purge=True, purge_comment_prefix="managed-by:x")
    assert [n["key"] for n in change["add"]] == ["10.0.0.3/32"]
    assert [entry_key(e) for e in change["remove"]] == ["10.0.0.2/32"]
    assert sorted(entry_key(e) for e in change["after"]) == [
        "10.0.0.1/32", "10.0.0.3/32", "172.16.0.0/12", "192.168.0.0/16"]


def test_plan_absent_with_purge_removes_marked_only():
    change = plan(CURRENT, [], state="absent", purge=True, purge_comment_prefix="managed-by:")
    assert sorted(entry_key(e) for e in change["remove"]) == ["10.0.0.1/32", "10.0.0.2/32"]
    assert plan(CURRENT, [], state="absent")["remove"] == []


def test_plan_without_comment_leaves_existing_comment_alone():
    change = plan(CURRENT, normalize_entries([{"cidr_block": "192.168.0.0/16"}]))
    assert change["add"] == [] and change["remove"] == []
