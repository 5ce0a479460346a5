"""What the image contract relies on from the emulated account (in-process moto, patched).

ecr_image_info's platforms come from a multi-platform image's index (its digest must be the manifest's own, the
ecr-image-index-digest patch) or from a config blob asked for with GetDownloadUrlForLayer (a digest the
repository lacks is LayersNotFoundException, not a retried HTTP 500: the ecr-get-download-url-for-layer-not-found
patch). The ecs_service role compares the task definition's runtimePlatform, which moto keeps as registered.
"""

import hashlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws


def _index(*children):
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 100, "digest": "sha256:" + c * 64,
                       "platform": {"architecture": "amd64", "os": "linux"}} for c in children],
    })


def test_an_index_digest_is_the_sha256_of_the_manifest_as_pushed(aws_env):
    with mock_aws():
        ecr = boto3.client("ecr")
        ecr.create_repository(repositoryName="s/frontend")
        digests = {}
        for tag, children in (("v1", "a"), ("v2", "b"), ("v3", "ab")):
            text = _index(*children)
            put = ecr.put_image(repositoryName="s/frontend", imageManifest=text, imageTag=tag)
            digests[tag] = put["image"]["imageId"]["imageDigest"]
            assert digests[tag] == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert len(set(digests.values())) == 3
        described = ecr.describe_images(repositoryName="s/frontend", imageIds=[{"imageTag": "v2"}])["imageDetails"][0]
        assert described["imageDigest"] == digests["v2"]
        assert described["imageManifestMediaType"] == "application/vnd.oci.image.index.v1+json"
        got = ecr.batch_get_image(repositoryName="s/frontend", imageIds=[{"imageTag": "v3"}])["images"][0]
        assert got["imageId"]["imageDigest"] == digests["v3"] and got["imageManifest"] == _index("a", "b")


def test_a_layer_the_repository_lacks_has_no_download_url(aws_env):
    with mock_aws():
        ecr = boto3.client("ecr")
        ecr.create_repository(repositoryName="s/backend")
        with pytest.raises(ClientError) as missing:
            ecr.get_download_url_for_layer(repositoryName="s/backend", layerDigest="sha256:" + "c" * 64)
        assert missing.value.response["Error"]["Code"] == "LayersNotFoundException"
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as no_repo:
            ecr.get_download_url_for_layer(repositoryName="s/none", layerDigest="sha256:" + "c" * 64)
        assert no_repo.value.response["Error"]["Code"] == "RepositoryNotFoundException"


def test_runtime_platform_round_trips(aws_env):
    with mock_aws():
        ecs = boto3.client("ecs")
        for arch in ("ARM64", "X86_64"):
            ecs.register_task_definition(
                family="s-backend", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                runtimePlatform={"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"},
                containerDefinitions=[{"name": "backend", "image": "x", "memory": 512}])
        first = ecs.describe_task_definition(taskDefinition="s-backend:1")["taskDefinition"]
        latest = ecs.describe_task_definition(taskDefinition="s-backend")["taskDefinition"]
        assert first["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
        assert latest["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
