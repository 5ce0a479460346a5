"""ecr_image_info include_platforms: the platforms the registry states for an image.

botocore's Stubber fails on any call that is not queued, so each test also proves the reads: an image index
costs one BatchGetImage per tag (as DescribeImages did), a single image manifest one GetDownloadUrlForLayer more
(and a GET of the config blob, stubbed here), and nothing fails the module when the registry cannot say.
"""

import datetime
import hashlib
import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecr as ecr_utils
from ansible_collections.stackops.ecs_webstack.plugins.modules import ecr_image_info

REPO = "stack-dev/frontend"
ARN = "arn:aws:ecr:us-east-1:123456789012:repository/" + REPO
URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + REPO
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
LIST_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
DIGEST = "sha256:" + "9" * 64
CONFIG = json.dumps({"architecture": "arm64", "os": "linux", "variant": "v8", "config": {"User": "101"}}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
URL = "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/blob?X-Amz-Signature=abc"


def _child(char, arch, system="linux", **extra):
    entry = {"mediaType": MANIFEST_TYPE, "size": 1000, "digest": "sha256:" + char * 64}
    if arch:
        entry["platform"] = {"architecture": arch, "os": system}
    entry.update(extra)
    return entry


def _manifest():
    return {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(CONFIG), "digest": CONFIG_DIGEST},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 10, "digest": "sha256:" + "b" * 64}]}


@pytest.fixture
def ecr_stub(aws_env, monkeypatch):
    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, *a, **k: client)
    stubber.add_response("describe_repositories", {"repositories": [{
        "repositoryArn": ARN, "registryId": "123456789012", "repositoryName": REPO, "repositoryUri": URI,
        "imageTagMutability": "IMMUTABLE"}]}, {"repositoryNames": [REPO]})
    stubber.add_response("list_tags_for_resource", {"tags": []}, {"resourceArn": ARN})
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _batch_get(stub, manifest, media_type, tag="v1"):
    stub.add_response(
        "batch_get_image",
        {"images": [{"registryId": "123456789012", "repositoryName": REPO, "imageId": {"imageDigest": DIGEST, "imageTag": tag},
                     "imageManifest": json.dumps(manifest), "imageManifestMediaType": media_type}], "failures": []},
        {"repositoryName": REPO, "imageIds": [{"imageTag": tag}], "acceptedMediaTypes": ecr_utils.ACCEPTED_MEDIA_TYPES},
    )


def _run(run_module, tags=("v1",)):
    result, failed = run_module(ecr_image_info.main, {"repository_name": REPO, "image_tags": list(tags), "include_platforms": True})
    assert not failed, result
    return result


def test_an_image_index_states_each_platform_without_fetching_anything(ecr_stub, run_module):
    attestation = _child("c", "unknown", "unknown", annotations={"vnd.docker.reference.type": "attestation-manifest"})
    index = {"schemaVersion": 2, "mediaType": INDEX_TYPE,
             "manifests": [_child("a", "amd64"), dict(_child("d", "arm64"), platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
                           attestation]}
    _batch_get(ecr_stub, index, INDEX_TYPE)
    image = _run(run_module)["images"][0]
    assert image["digest"] == DIGEST and image["image_uri"] == URI + "@" + DIGEST
    assert image["manifest_media_type"] == INDEX_TYPE
    assert image["platforms_known"] and image["platforms_from"] == "index" and image["platforms_note"] == ""
    assert image["platforms"] == [{"os": "linux", "architecture": "amd64", "variant": "", "cpu_architecture": "X86_64"},
                                  {"os": "linux", "architecture": "arm64", "variant": "v8", "cpu_architecture": "ARM64"}]
    assert image["cpu_architectures"] == ["ARM64", "X86_64"]


def test_a_docker_manifest_list_with_platforms_ecs_does_not_run(ecr_stub, run_module):
    listed = {"schemaVersion": 2, "mediaType": LIST_TYPE,
              "manifests": [_child("a", "arm", variant="v7"), _child("e", "amd64", "windows"), _child("f", "arm64")]}
    _batch_get(ecr_stub, listed, LIST_TYPE)
    image = _run(run_module)["images"][0]
    assert image["platforms_known"] and [p["cpu_architecture"] for p in image["platforms"]] == [None, None, "ARM64"]
    assert image["cpu_architectures"] == ["ARM64"]


def test_an_index_entry_without_a_platform_leaves_the_platforms_unknown(ecr_stub, run_module):
    _batch_get(ecr_stub, {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [_child("a", "amd64"), _child("b", None)]}, INDEX_TYPE)
    image = _run(run_module)["images"][0]
    assert not image["platforms_known"] and image["platforms"] == [] and image["cpu_architectures"] == []
    assert "names no platform" in image["platforms_note"]


def test_a_single_manifest_is_read_from_its_config_blob(ecr_stub, run_module, monkeypatch):
    fetched = []
    monkeypatch.setattr(ecr_utils, "fetch_blob", lambda url: fetched.append(url) or CONFIG)
    _batch_get(ecr_stub, _manifest(), MANIFEST_TYPE)
    ecr_stub.add_response("get_download_url_for_layer", {"downloadUrl": URL, "layerDigest": CONFIG_DIGEST},
                          {"repositoryName": REPO, "layerDigest": CONFIG_DIGEST})
    image = _run(run_module)["images"][0]
    assert fetched == [URL]
    assert image["platforms_known"] and image["platforms_from"] == "config"
    assert image["platforms"] == [{"os": "linux", "architecture": "arm64", "variant": "v8", "cpu_architecture": "ARM64"}]
    assert image["cpu_architectures"] == ["ARM64"]


def test_a_config_blob_that_does_not_match_its_digest_is_not_believed(ecr_stub, run_module, monkeypatch):
    monkeypatch.setattr(ecr_utils, "fetch_blob", lambda url: CONFIG.replace(b"arm64", b"amd64"))
    _batch_get(ecr_stub, _manifest(), MANIFEST_TYPE)
    ecr_stub.add_response("get_download_url_for_layer", {"downloadUrl": URL, "layerDigest": CONFIG_DIGEST})
    image = _run(run_module)["images"][0]
    assert not image["platforms_known"] and "does not match its digest" in image["platforms_note"]


@pytest.mark.parametrize("code", ["AccessDeniedException", "LayersNotFoundException"])
def test_without_the_config_blob_the_platforms_are_unknown_and_nothing_fails(ecr_stub, run_module, monkeypatch, code):
    monkeypatch.setattr(ecr_utils, "fetch_blob", lambda url: pytest.fail("no URL to fetch"))
    _batch_get(ecr_stub, _manifest(), MANIFEST_TYPE)
    ecr_stub.add_client_error("get_download_url_for_layer", service_error_code=code, http_status_code=400)
    image = _run(run_module)["images"][0]
    assert image["digest"] == DIGEST
    assert not image["platforms_known"] and image["platforms"] == [] and image["platforms_from"] == "config"
    assert code in image["platforms_note"] and CONFIG_DIGEST in image["platforms_note"]


def test_a_download_that_fails_leaves_the_platforms_unknown(ecr_stub, run_module, monkeypatch):
    def refuse(url):
        raise OSError("connection reset")

    monkeypatch.setattr(ecr_utils, "fetch_blob", refuse)
    _batch_get(ecr_stub, _manifest(), MANIFEST_TYPE)
    ecr_stub.add_response("get_download_url_for_layer", {"downloadUrl": URL, "layerDigest": CONFIG_DIGEST})
    image = _run(run_module)["images"][0]
    assert not image["platforms_known"] and "connection reset" in image["platforms_note"]


def test_without_batch_get_image_permission_describe_images_gives_the_digest(ecr_stub, run_module):
    ecr_stub.add_client_error("batch_get_image", service_error_code="AccessDeniedException", http_status_code=400)
    ecr_stub.add_response("describe_images", {"imageDetails": [{
        "registryId": "123456789012", "repositoryName": REPO, "imageDigest": DIGEST, "imageTags": ["v1"],
        "imagePushedAt": datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc), "imageManifestMediaType": MANIFEST_TYPE}]},
        {"repositoryName": REPO, "imageIds": [{"imageTag": "v1"}]})
    image = _run(run_module)["images"][0]
    assert image["digest"] == DIGEST and image["pushed_at"].startswith("2026-01-02")
    assert not image["platforms_known"] and image["platforms_note"] == "BatchGetImage: AccessDeniedException"


def test_a_missing_tag_costs_one_read(ecr_stub, run_module):
    ecr_stub.add_response("batch_get_image", {"images": [], "failures": [
        {"imageId": {"imageTag": "v9"}, "failureCode": "ImageNotFound", "failureReason": "Requested image not found"}]})
    result = _run(run_module, tags=("v9",))
    assert result["missing_tags"] == ["v9"] and result["images"] == []


def test_against_moto_an_index_is_known_and_a_seed_without_config_blob_is_not(aws_env, run_module):
    with mock_aws():
        ecr = boto3.client("ecr")
        ecr.create_repository(repositoryName=REPO)
        index = {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [_child("a", "amd64"), _child("b", "arm64")]}
        ecr.put_image(repositoryName=REPO, imageManifest=json.dumps(index), imageTag="multi")
        ecr.put_image(repositoryName=REPO, imageManifest=json.dumps(_manifest()), imageTag="single")
        result, failed = run_module(ecr_image_info.main, {"repository_name": REPO, "image_tags": ["multi", "single", "none"],
                                                          "include_platforms": True})
        assert not failed, result
        multi, single = result["images"]
        assert multi["cpu_architectures"] == ["ARM64", "X86_64"] and multi["platforms_known"]
        assert multi["digest"] == ecr.describe_images(repositoryName=REPO, imageIds=[{"imageTag": "multi"}])["imageDetails"][0]["imageDigest"]
        # The seed's config blob was never uploaded: LayersNotFoundException (patched moto), platforms unknown.
        assert not single["platforms_known"] and "LayersNotFoundException" in single["platforms_note"]
        assert result["missing_tags"] == ["none"]
