"""Unit tests for the network role's CIDR filters."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.cidr_checks import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.cidr_checks import cidr_invalid
from ansible_collections.stackops.ecs_webstack.plugins.filter.cidr_checks import cidr_outside
from ansible_collections.stackops.ecs_webstack.plugins.filter.cidr_checks import cidr_overlaps


def test_filters_are_registered_under_their_names():
    assert sorted(FilterModule().filters()) == ["cidr_invalid", "cidr_outside", "cidr_overlaps"]


@pytest.mark.parametrize(
    "bad",
    ["10.0.0.0", "10.0.1.5/24", "10.0.0.0/33", "300.0.0.0/16", "ten/8", "", "fd00::/64", "10.0.0.0/"],
)
def test_invalid_cidrs_are_reported(bad):
    assert cidr_invalid(["10.0.0.0/16", bad]) == [bad]


def test_valid_cidrs_pass_and_a_single_string_is_accepted():
    assert cidr_invalid(["10.0.0.0/16", "192.168.1.0/24", "0.0.0.0/0"]) == []
    assert cidr_invalid("10.0.0.0/8") == []
    assert cidr_invalid("10.0.0.1/8") == ["10.0.0.1/8"]


def test_outside_reports_subnets_not_in_the_vpc():
    assert cidr_outside(["10.0.1.0/24", "10.1.0.0/24", "10.0.0.0/15", "junk"], "10.0.0.0/16") == [
        "10.1.0.0/24",
        "10.0.0.0/15",
    ]
    assert cidr_outside(["10.0.0.0/16"], "10.0.0.0/16") == []


def test_outside_refuses_a_bad_container():
    with pytest.raises(AnsibleFilterError, match="not an IPv4 CIDR"):
        cidr_outside(["10.0.1.0/24"], "10.0.0.0")


def test_overlaps_names_each_pair():
    assert cidr_overlaps(["10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25", "10.0.1.0/24"]) == [
        "10.0.0.0/24 overlaps 10.0.0.128/25",
        "10.0.1.0/24 overlaps 10.0.1.0/24",
    ]
    assert cidr_overlaps(["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/23"]) == []


def test_non_list_input_is_an_error():
    with pytest.raises(AnsibleFilterError):
        cidr_overlaps({"a": 1})
