"""Unit tests for ecr_settings_drift: would community.aws.ecs_ecr change this repository?"""

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.ecr_settings import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.ecr_settings import ecr_settings_drift

KEEP_TAGGED = {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 30}
LIFECYCLE = {"rules": [
    {"rulePriority": 1, "description": "keep 30 tagged", "selection": KEEP_TAGGED, "action": {"type": "expire"}},
    {"rulePriority": 2, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                      "countNumber": 7}, "action": {"type": "expire"}},
]}
ACCESS = {"Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": ["b", "a"]},
                                                  "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}


def current(**changes):
    out = {"image_tag_mutability": "IMMUTABLE", "scan_on_push": True, "encryption_type": "AES256", "kms_key": "",
           "lifecycle_policy": json.loads(json.dumps(LIFECYCLE))}
    out.update(changes)
    return out


def wanted(**changes):
    # As the role's vars give them: mutability in lower case, the lifecycle policy as rendered JSON text.
    out = {"image_tag_mutability": "immutable", "scan_on_push": True, "encryption_type": "AES256", "kms_key": "",
           "lifecycle_policy": json.dumps(LIFECYCLE, indent=2), "repository_policy": {}}
    out.update(changes)
    return out


def test_registered():
    assert list(FilterModule().filters()) == ["ecr_settings_drift"]


def test_an_unchanged_repository_needs_nothing():
    assert ecr_settings_drift(current(), wanted()) == []


def test_key_order_and_string_list_order_do_not_matter():
    reordered = {"rules": [dict(reversed(list(rule.items()))) for rule in LIFECYCLE["rules"]]}
    assert ecr_settings_drift(current(lifecycle_policy=reordered), wanted()) == []
    access = dict(ACCESS, Statement=[dict(ACCESS["Statement"][0], Principal={"AWS": ["a", "b"]})])
    assert ecr_settings_drift(current(repository_policy=access), wanted(repository_policy=json.dumps(ACCESS))) == []


@pytest.mark.parametrize(
    "have, want, expected",
    [
        ({"image_tag_mutability": "MUTABLE"}, {}, ["image tag mutability"]),
        ({"scan_on_push": False}, {}, ["scan on push"]),
        ({"lifecycle_policy": None}, {}, ["lifecycle policy"]),
        ({}, {"lifecycle_policy": json.dumps({"rules": LIFECYCLE["rules"][:1]})}, ["lifecycle policy"]),
        ({}, {"encryption_type": "KMS", "kms_key": "arn:aws:kms:eu-west-1:1:key/k"}, ["encryption"]),
        ({"encryption_type": "KMS", "kms_key": "arn:k"}, {"encryption_type": "KMS", "kms_key": "arn:other"}, ["encryption"]),
        ({}, {"repository_policy": ACCESS}, ["repository policy"]),
        ({"repository_policy": None}, {"repository_policy": ACCESS}, ["repository policy"]),
        ({"scan_on_push": False, "image_tag_mutability": "MUTABLE"}, {}, ["image tag mutability", "scan on push"]),
    ],
)
def test_each_difference_is_named(have, want, expected):
    assert ecr_settings_drift(current(**have), wanted(**want)) == expected


def test_what_ecs_ecr_leaves_alone_is_not_compared():
    # No access policy wanted: ecs_ecr does not touch one that exists. AES256 wanted: no encryption is passed.
    assert ecr_settings_drift(current(repository_policy=ACCESS, encryption_type="KMS", kms_key="k"), wanted()) == []


def test_settings_not_read_count_as_a_difference():
    assert ecr_settings_drift({}, wanted()) == ["repository settings not read"]


def test_bad_input_names_the_filter():
    with pytest.raises(AnsibleFilterError, match="expects two dicts"):
        ecr_settings_drift(None, wanted())
    with pytest.raises(AnsibleFilterError, match="lifecycle_policy is not a JSON document"):
        ecr_settings_drift(current(), wanted(lifecycle_policy="{not json"))
