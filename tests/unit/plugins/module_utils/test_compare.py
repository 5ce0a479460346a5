"""The tag and policy-document comparison every comparator shares (module_utils/compare.py)."""

import pytest

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import (
    ComparisonError,
    json_document,
    tag_differences,
    tags_carry,
)

STACK = {"webstack:stack": "shop", "webstack:env": "dev"}


def test_equal_tags_give_no_difference():
    assert tag_differences(dict(STACK), dict(STACK)) == []


def test_each_changed_missing_and_extra_tag_gets_one_line():
    current = {"webstack:stack": "shop", "webstack:env": "prod", "Owner": "me"}
    wanted = dict(STACK, team="web")
    assert tag_differences(current, wanted) == [
        "tag team is missing", "tag webstack:env is 'prod', wants 'dev'", "tag Owner is not wanted"]


def test_without_purge_extra_tags_stay():
    assert tag_differences(dict(STACK, Owner="me"), STACK, purge=False) == []
    assert tag_differences({}, STACK, purge=False) == ["tag webstack:env is missing", "tag webstack:stack is missing"]


def test_wanted_none_leaves_tags_alone():
    assert tag_differences({"Owner": "me"}, None) == []


def test_values_compare_as_text_as_the_modules_send_them():
    # A YAML 123 is the tag "123" once a module sends it: no false difference on every run.
    assert tag_differences({"cost": "123"}, {"cost": 123}) == []
    assert tag_differences(None, {"cost": 123}) == ["tag cost is missing"]


def test_aws_own_tags_are_never_purged_nor_wanted():
    current = dict(STACK, **{"aws:cloudformation:stack-name": "x"})
    assert tag_differences(current, dict(STACK)) == []
    assert tag_differences(dict(STACK), dict(STACK, **{"aws:created": "y"})) == []


def test_tags_carry_needs_every_wanted_value():
    assert tags_carry(dict(STACK, Name="vpc"), STACK)
    assert not tags_carry({"webstack:stack": "shop"}, STACK)
    assert not tags_carry(dict(STACK, **{"webstack:env": "prod"}), STACK)
    assert tags_carry(None, {}) and not tags_carry(None, STACK)


@pytest.mark.parametrize("value, expected", [
    ('{"Version": "2012-10-17", "Statement": []}', {"Version": "2012-10-17", "Statement": []}),
    ({"rules": []}, {"rules": []}),
    (None, None),
    ("", None),
    ("  \n", None),
])
def test_json_document_parses_text_and_keeps_data(value, expected):
    assert json_document(value, "policy") == expected


def test_broken_document_names_the_variable():
    with pytest.raises(ComparisonError, match=r"ecr_repository_policy is not a JSON document \(.*\): '\{not json'"):
        json_document("{not json", "ecr_repository_policy")
