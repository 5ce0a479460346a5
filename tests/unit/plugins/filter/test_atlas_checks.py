"""The atlas_access role's filters: open entries in every spelling, and the module's entry rules, named
after the role variable so the first play of deploy.yml says what atlas_access_list would say later."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.atlas_checks import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.atlas_checks import atlas_entry_errors
from ansible_collections.stackops.ecs_webstack.plugins.filter.atlas_checks import atlas_open_entries
from ansible_collections.stackops.ecs_webstack.plugins.filter.atlas_checks import atlas_open_world

NAME = "atlas_access_extra_entries"
MARK = "managed-by:stackops.ecs_webstack:webstack-dev"
SPELLINGS = [
    "0.0.0.0/0", " 0.0.0.0/0 ", "0.0.0.0/00", "10.0.0.0/0", "::/0", "0::0/0",
    "0000:0000:0000:0000:0000:0000:0000:0000/0", "::ffff:0.0.0.0/96",
]


def test_filters_are_registered_under_their_names():
    assert sorted(FilterModule().filters()) == ["atlas_entry_errors", "atlas_open_entries", "atlas_open_world"]


@pytest.mark.parametrize("text", SPELLINGS)
@pytest.mark.parametrize("field", ["cidr_block", "ip_address"])
def test_every_spelling_is_found_in_either_field(text, field):
    entries = [{"ip_address": "203.0.113.10"}, {field: text, "comment": "office"}]
    found = atlas_open_entries(entries, NAME)
    assert len(found) == 1 and found[0].startswith("%s[1].%s " % (NAME, field)), found
    assert atlas_open_world(text) and atlas_open_world(entries[1])


def test_known_networks_are_not_open():
    assert atlas_open_entries([{"cidr_block": "203.0.113.0/24"}, {"ip_address": "192.0.2.7"},
                               {"aws_security_group": "sg-0123abcd"}], NAME) == []
    assert atlas_open_entries([], NAME) == [] and atlas_open_entries(None, NAME) == []
    assert not atlas_open_world("0.0.0.0/1")


def test_a_list_is_required():
    with pytest.raises(AnsibleFilterError):
        atlas_open_entries("0.0.0.0/0", NAME)


@pytest.mark.parametrize("entry, message", [
    ({"cidr_block": "300.1.2.0/24"}, NAME + "[0].cidr_block: '300.1.2.0/24' is not a valid"),
    ({"cidr_block": "10.1.2.3/8"}, NAME + "[0].cidr_block: 10.1.2.3/8 has host bits set; the network is 10.0.0.0/8"),
    ({"ip_address": "10.0.0.0/24"}, NAME + "[0].ip_address"),
    ({"aws_security_group": "sg-12"}, NAME + "[0].aws_security_group"),
    ({"ip_address": "203.0.113.10", "delete_after_date": "tomorrow"}, NAME + "[0].delete_after_date"),
    ({"ip_address": "203.0.113.10", "port": 27017}, NAME + "[0]: unknown field(s) port"),
    ({"ip_address": "203.0.113.10", "comment": "x" * 40}, NAME + "[0].comment: 86 characters"),
])
def test_the_module_rules_apply_with_the_role_name(entry, message):
    errors = atlas_entry_errors([entry], MARK, NAME)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_duplicates_are_found_with_both_indexes():
    errors = atlas_entry_errors([{"ip_address": "192.0.2.7"}, {"cidr_block": "192.0.2.7/32"}], MARK, NAME)
    assert errors and NAME + "[1]" in errors[0] and NAME + "[0]" in errors[0]


def test_good_entries_pass_with_the_mark_prefixed():
    assert atlas_entry_errors([{"ip_address": "203.0.113.10", "comment": "office"},
                               {"cidr_block": "198.51.100.0/24"}, {"aws_security_group": "sg-0123abcd"}], MARK, NAME) == []
    assert atlas_entry_errors([], MARK, NAME) == []
