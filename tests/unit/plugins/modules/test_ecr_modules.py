"""Unit tests for ecr_image_info, ecr_image and ecr_repository_tags, against in-process moto."""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import ecr_image
from ansible_collections.stackops.ecs_webstack.plugins.modules import ecr_image_info
from ansible_collections.stackops.ecs_webstack.plugins.modules import ecr_repository_tags

MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": "sha256:" + "a" * 64},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 3, "digest": "sha256:" + "b" * 64}],
}


@pytest.fixture
def ecr(aws_env):
    with mock_aws():
        client = boto3.client("ecr")
        client.create_repository(repositoryName="stack-dev/backend", imageTagMutability="IMMUTABLE")
        client.put_image(repositoryName="stack-dev/backend", imageManifest=json.dumps(MANIFEST), imageTag="v1")
        yield client


def test_info_resolves_tags_and_reports_missing(ecr, run_module):
    result, failed = run_module(ecr_image_info.main, {"repository_name": "stack-dev/backend", "image_tags": ["v1", "v2"]})
    assert not failed and not result["changed"]
    assert result["repository_exists"]
    assert result["missing_tags"] == ["v2"]
    digest = ecr.describe_images(repositoryName="stack-dev/backend")["imageDetails"][0]["imageDigest"]
    assert result["digests"] == {"v1": digest}
    assert result["images"][0]["image_uri"] == result["repository_uri"] + "@" + digest
    assert result["image_tag_mutability"] == "IMMUTABLE"


def test_info_settings_report_what_ecs_ecr_sets(ecr, run_module):
    args = {"repository_name": "stack-dev/backend", "include_settings": True}
    result, failed = run_module(ecr_image_info.main, args)
    assert not failed
    assert result["settings"] == {"image_tag_mutability": "IMMUTABLE", "scan_on_push": False, "encryption_type": "AES256",
                                  "kms_key": "", "lifecycle_policy": None}

    untagged = {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5}
    lifecycle = {"rules": [{"rulePriority": 1, "selection": untagged, "action": {"type": "expire"}}]}
    access = {"Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*",
                                                      "Action": ["ecr:BatchGetImage"]}]}
    ecr.put_lifecycle_policy(repositoryName="stack-dev/backend", lifecyclePolicyText=json.dumps(lifecycle))
    ecr.set_repository_policy(repositoryName="stack-dev/backend", policyText=json.dumps(access))
    ecr.put_image_scanning_configuration(repositoryName="stack-dev/backend", imageScanningConfiguration={"scanOnPush": True})
    result, failed = run_module(ecr_image_info.main, dict(args, include_repository_policy=True))
    assert not failed
    assert result["settings"]["scan_on_push"] is True
    assert result["settings"]["lifecycle_policy"] == lifecycle
    assert result["settings"]["repository_policy"] == access
    # Without include_repository_policy the access policy is not read.
    result, failed = run_module(ecr_image_info.main, args)
    assert "repository_policy" not in result["settings"]


def test_info_on_missing_repository_is_not_an_error(ecr, run_module):
    result, failed = run_module(ecr_image_info.main, {"repository_name": "stack-dev/nothing", "image_tags": ["v1"]})
    assert not failed
    assert result["repository_exists"] is False
    assert result["missing_tags"] == ["v1"]
    result, failed = run_module(ecr_image_info.main, {"repository_name": "stack-dev/nothing", "include_settings": True})
    assert not failed and "settings" not in result


def test_info_registry_login_is_hidden_from_logs(ecr, run_module):
    result, failed = run_module(
        ecr_image_info.main, {"repository_name": "stack-dev/backend", "include_auth_token": True}
    )
    assert not failed
    login = result["registry_login"]
    assert login["username"] == "AWS" and login["password"] and login["endpoint"].startswith("https://")


def test_retag_is_idempotent_and_check_mode_writes_nothing(ecr, run_module):
    args = {"repository_name": "stack-dev/backend", "source_tag": "v1", "image_tag": "release-1"}
    result, failed = run_module(ecr_image.main, args, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"]["before"]["digest"] is None
    assert not any("release-1" in i.get("imageTags", []) for i in ecr.describe_images(repositoryName="stack-dev/backend")["imageDetails"])

    result, failed = run_module(ecr_image.main, args)
    assert not failed and result["changed"]
    first_digest = result["digest"]
    result, failed = run_module(ecr_image.main, args)
    assert not failed and not result["changed"]
    assert result["digest"] == first_digest


def test_moving_an_immutable_tag_fails_with_advice(ecr, run_module):
    other = dict(MANIFEST, layers=[dict(MANIFEST["layers"][0], digest="sha256:" + "c" * 64)])
    result, failed = run_module(
        ecr_image.main, {"repository_name": "stack-dev/backend", "image_tag": "v1", "manifest": json.dumps(other)}
    )
    assert failed
    assert "immutable" in result["msg"] and "new tag" in result["msg"]


def test_manifest_without_media_type_is_rejected(ecr, run_module):
    bad = {k: v for k, v in MANIFEST.items() if k != "mediaType"}
    result, failed = run_module(
        ecr_image.main, {"repository_name": "stack-dev/backend", "image_tag": "v9", "manifest": json.dumps(bad)}
    )
    assert failed and "mediaType" in result["msg"]


def test_missing_source_tag_fails(ecr, run_module):
    result, failed = run_module(
        ecr_image.main, {"repository_name": "stack-dev/backend", "image_tag": "v9", "source_tag": "nope"}
    )
    assert failed and "source_tag nope" in result["msg"]


def test_repository_tags_set_purge_and_noop(ecr, run_module):
    arn = ecr.describe_repositories(repositoryNames=["stack-dev/backend"])["repositories"][0]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "old", "Value": "1"}])
    wanted = {"webstack:stack": "stack", "webstack:env": "dev"}
    args = {"repository_name": "stack-dev/backend", "tags": wanted, "purge_tags": True}

    result, failed = run_module(ecr_repository_tags.main, args, check_mode=True, diff=True)
    assert not failed and result["changed"] and result["diff"]["before"]["tags"] == {"old": "1"}
    assert {t["Key"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"]} == {"old"}

    result, failed = run_module(ecr_repository_tags.main, args)
    assert not failed and result["changed"] and result["tags"] == wanted
    assert {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"]} == wanted

    result, failed = run_module(ecr_repository_tags.main, args)
    assert not failed and not result["changed"]
