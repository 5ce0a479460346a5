"""is_open_world: one definition of an Atlas entry open to the whole internet, every spelling of it."""

from __future__ import annotations

import pytest

import atlas_testlib  # noqa: F401  pylint: disable=unused-import

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import (
    is_open_world,
    open_world_entries,
    open_world_network,
)

OPEN = [
    "0.0.0.0/0",
    " 0.0.0.0/0 ",
    "\t0.0.0.0/0\n",
    "0.0.0.0/00",
    "10.0.0.0/0",
    "203.0.113.7/0",
    "0.0.0.0/0.0.0.0",
    "::/0",
    "0::0/0",
    "::0/0",
    "0000:0000:0000:0000:0000:0000:0000:0000/0",
    "2001:db8::/0",
    "::ffff:0.0.0.0/96",
    "::ffff:0:0/96",
    "0:0:0:0:0:ffff:0:0/96",
    "::ffff:10.1.2.3/96",
    "::/64",
    "::/80",
    "::/1",
]
NOT_OPEN = [
    "203.0.113.0/24",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "0.0.0.0",
    "0.0.0.0/32",
    "::",
    "8000::/1",
    "::/128",
    "::ffff:0.0.0.0/97",
    "::ffff:203.0.113.7",
    "2001:db8::/32",
    "sg-0123abcd",
    "",
    "not an address",
    "0/0",
]


@pytest.mark.parametrize("text", OPEN)
def test_every_spelling_of_the_whole_internet_is_open(text):
    assert is_open_world(text)
    assert open_world_network(text) is not None
    for field in ("cidr_block", "ip_address", "cidrBlock", "ipAddress"):
        assert is_open_world({field: text, "comment": "x"}), field


@pytest.mark.parametrize("text", NOT_OPEN)
def test_networks_smaller_than_the_internet_and_non_addresses_are_not_open(text):
    assert not is_open_world(text)
    assert not is_open_world({"cidr_block": text})
    assert not is_open_world({"ip_address": text})


def test_open_network_is_normalised():
    assert str(open_world_network("0.0.0.0/00")) == "0.0.0.0/0"
    assert str(open_world_network("10.0.0.0/0")) == "0.0.0.0/0"
    assert str(open_world_network("0000:0000:0000:0000:0000:0000:0000:0000/0")) == "::/0"
    assert str(open_world_network("::ffff:0.0.0.0/96")) == "::ffff:0:0/96"


@pytest.mark.parametrize("value", [None, 0, True, [], {}, ["0.0.0.0/0"]])
def test_other_values_are_not_open(value):
    assert not is_open_world(value)


def test_security_group_and_empty_fields_are_not_open():
    assert not is_open_world({"aws_security_group": "sg-0123abcd"})
    assert not is_open_world({"cidr_block": None, "ip_address": "203.0.113.7"})
    # an Atlas entry as it comes back: an open cidrBlock is found whatever the other fields say
    assert is_open_world({"cidrBlock": "0.0.0.0/0", "comment": "added by hand", "groupId": "x"})


def test_open_world_entries_names_each_open_field():
    entries = [
        {"ip_address": "203.0.113.7"},
        {"cidr_block": "0.0.0.0/00", "comment": "x"},
        {"ip_address": "::/0"},
        "::ffff:0.0.0.0/96",
        {"aws_security_group": "sg-0123abcd"},
    ]
    assert open_world_entries(entries, name="extra") == [
        "extra[1].cidr_block '0.0.0.0/00' (0.0.0.0/0)",
        "extra[2].ip_address '::/0' (::/0)",
        "extra[3] '::ffff:0.0.0.0/96' (::ffff:0:0/96)",
    ]
    assert open_world_entries([]) == [] and open_world_entries(None) == []
