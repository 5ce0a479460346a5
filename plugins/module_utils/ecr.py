# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared ECR reads for the collection's ECR modules (one error path, callers own the client), and the
one comparison of a repository's settings with the ones wanted (settings_drift)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import json_document

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def registry_args(registry_id):
    """The registryId argument of ECR calls, empty for the caller's own registry."""
    return {"registryId": registry_id} if registry_id else {}


def describe_repository(module, client, name, registry_id=None):
    """Return the repository description, or None when it does not exist."""
    try:
        found = client.describe_repositories(repositoryNames=[name], **registry_args(registry_id))
    except is_boto3_error_code("RepositoryNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read ECR repository {0}".format(name))
    return found["repositories"][0]


def find_image_by_tag(module, client, name, tag, registry_id=None):
    """Return the image description for a tag, or None when the tag is not in the repository."""
    try:
        found = client.describe_images(
            repositoryName=name, imageIds=[{"imageTag": tag}], **registry_args(registry_id)
        )
    except is_boto3_error_code(["ImageNotFoundException", "RepositoryNotFoundException"]):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read tag {0} of ECR repository {1}".format(tag, name))
    images = found.get("imageDetails", [])
    return images[0] if images else None


def repository_tags(module, client, arn):
    """Return a repository's resource tags as a dict."""
    try:
        tags = client.list_tags_for_resource(resourceArn=arn).get("tags", [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the tags of {0}".format(arn))
    return boto3_tag_list_to_ansible_dict(tags, "Key", "Value")


def repository_policy_text(module, client, name, kind, registry_id=None):
    """A repository's lifecycle policy (kind "lifecycle") or access policy (kind "repository") as a
    parsed document, or None when it has none."""
    calls = {
        "lifecycle": ("get_lifecycle_policy", "lifecyclePolicyText", "LifecyclePolicyNotFoundException"),
        "repository": ("get_repository_policy", "policyText", "RepositoryPolicyNotFoundException"),
    }
    method, key, missing = calls[kind]
    try:
        found = getattr(client, method)(repositoryName=name, **registry_args(registry_id))
    except is_boto3_error_code([missing, "RepositoryNotFoundException"]):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read the {0} policy of ECR repository {1}".format(kind, name))
    text = found.get(key)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def registry_login(module, client, registry_id=None):
    """Return endpoint, username and password for a container engine's login."""
    try:
        found = client.get_authorization_token(**({"registryIds": [registry_id]} if registry_id else {}))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not get an ECR login token")
    data = found["authorizationData"][0]
    username, password = base64.b64decode(data["authorizationToken"]).decode("utf-8").split(":", 1)
    module.no_log_values.add(password)
    return dict(endpoint=data["proxyEndpoint"], username=username, password=password)


# What an image's manifest can be (OCI image spec, Docker Registry HTTP API V2 "Image Manifest V2, Schema 2").
MANIFEST_LIST_TYPES = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
IMAGE_MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
# BatchGetImage answers with the manifest as stored only when its type is accepted; a multi-arch tag
# is an index, so every type is accepted.
ACCEPTED_MEDIA_TYPES = list(MANIFEST_LIST_TYPES + IMAGE_MANIFEST_TYPES + ("application/vnd.docker.distribution.manifest.v1+json",))
# GOARCH (what images state) -> ECS runtimePlatform.cpuArchitecture. Other architectures cannot run on ECS.
ECS_CPU_ARCHITECTURES = {"amd64": "X86_64", "arm64": "ARM64"}
# A config blob is a few KiB; anything far larger is not one.
CONFIG_BLOB_LIMIT = 4 * 1024 * 1024


def get_image_manifest(module, client, name, tag, registry_id=None):
    """(image, denied): BatchGetImage's answer for one tag (``imageId`` with the digest, ``imageManifest``,
    ``imageManifestMediaType``), None when the tag is not in the repository. ``denied`` is the error
    code when the caller may not read manifests (then the caller falls back to DescribeImages)."""
    try:
        found = client.batch_get_image(
            repositoryName=name, imageIds=[{"imageTag": tag}], acceptedMediaTypes=ACCEPTED_MEDIA_TYPES,
            **registry_args(registry_id)
        )
    except is_boto3_error_code("RepositoryNotFoundException"):
        return None, None
    except is_boto3_error_code(["AccessDeniedException", "AccessDenied"]) as err:  # pylint: disable=duplicate-except
        return None, err.response["Error"]["Code"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read tag {0} of ECR repository {1}".format(tag, name))
    images = found.get("images") or []
    return (images[0] if images else None), None


def _platform(spec):
    """One platform as the registry states it, with the ECS name of its architecture (None: not one ECS runs)."""
    arch, system = spec.get("architecture") or "", spec.get("os") or ""
    return dict(
        os=system,
        architecture=arch,
        variant=spec.get("variant") or "",
        cpu_architecture=ECS_CPU_ARCHITECTURES.get(arch) if system == "linux" else None,
    )


def fetch_blob(url, limit=CONFIG_BLOB_LIMIT):
    """GET a pre-signed layer URL (GetDownloadUrlForLayer's answer); at most ``limit`` bytes."""
    from ansible.module_utils.urls import open_url

    response = open_url(url, method="GET", timeout=30, follow_redirects="all")
    try:
        return response.read(limit + 1)
    finally:
        response.close()


def image_platforms(client, name, image, registry_id=None, fetch=None):
    """What the registry states about the platforms an image runs on: (platforms, source, note).

    ``image`` is BatchGetImage's answer for one tag. An image index / manifest list names a platform for
    each manifest (``source`` "index"); a single image manifest says nothing itself, its config blob does
    (``source`` "config": GetDownloadUrlForLayer for the config digest, then a GET of that URL, checked
    against the digest). ``platforms`` is None when the registry does not say or cannot be asked (no
    permission, a gap of the API); ``note`` then says why. Never fails the module.
    """
    try:
        manifest = json.loads(image.get("imageManifest") or "")
    except ValueError:
        return None, "", "the manifest is not JSON"
    media_type = image.get("imageManifestMediaType") or manifest.get("mediaType") or ""
    if media_type in MANIFEST_LIST_TYPES or (not media_type and "manifests" in manifest):
        platforms = []
        for entry in manifest.get("manifests") or []:
            annotations = entry.get("annotations") or {}
            if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
                continue  # build provenance / SBOM (docker buildx), not an image
            spec = entry.get("platform") or {}
            if not spec.get("architecture") or not spec.get("os"):
                # An index entry without a platform may be any platform: the index does not say.
                return None, "index", "manifest {0} of the index names no platform".format(entry.get("digest", "?"))
            platforms.append(_platform(spec))
        if not platforms:
            return None, "index", "the index lists no image manifest"
        return platforms, "index", ""
    if media_type not in IMAGE_MANIFEST_TYPES:
        return None, "", "manifest type {0} states no platform".format(media_type or "unknown")
    digest = (manifest.get("config") or {}).get("digest") or ""
    if not digest:
        return None, "config", "the manifest names no config blob"
    try:
        url = client.get_download_url_for_layer(repositoryName=name, layerDigest=digest, **registry_args(registry_id))["downloadUrl"]
    except botocore.exceptions.ClientError as err:
        error = err.response.get("Error") or {}
        return None, "config", "GetDownloadUrlForLayer for config {0}: {1}".format(
            digest, error.get("Code") or err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "error"))
    except botocore.exceptions.BotoCoreError as err:
        return None, "config", "GetDownloadUrlForLayer for config {0}: {1}".format(digest, err)
    try:
        body = (fetch or fetch_blob)(url)
    except Exception as err:  # pylint: disable=broad-except  # any network error: the registry did not say
        return None, "config", "could not download config {0}: {1}".format(digest, err)
    if len(body) > CONFIG_BLOB_LIMIT:
        return None, "config", "config {0} is larger than {1} bytes".format(digest, CONFIG_BLOB_LIMIT)
    algorithm, _sep, expected = digest.partition(":")
    if algorithm == "sha256" and hashlib.sha256(body).hexdigest() != expected:
        return None, "config", "the downloaded config does not match its digest {0}".format(digest)
    try:
        config = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None, "config", "config {0} is not JSON".format(digest)
    if not config.get("architecture") or not config.get("os"):
        return None, "config", "config {0} names no architecture and os".format(digest)
    return [_platform(config)], "config", ""


def settings_drift(current, wanted):
    """The names of the repository settings that differ, empty when community.aws.ecs_ecr would change nothing.

    current is what ecr_image_info returns with include_settings (image_tag_mutability, scan_on_push,
    encryption_type, kms_key, lifecycle_policy, repository_policy); wanted has the same keys as the ecr
    role sets them. Compared as ecs_ecr compares: policies with amazon.aws's compare_policies (key order
    and the order of string lists do not matter); encryption only when KMS is wanted (ecs_ecr passes no
    encryption setting otherwise); the access policy only when one is wanted (ecs_ecr leaves it alone
    otherwise). The ecr role's filter ecr_settings_drift calls it."""
    if not isinstance(current, dict) or not isinstance(wanted, dict):
        raise ComparisonError("ecr_settings_drift expects two dicts: the settings read and the settings wanted")
    if not current:
        return ["repository settings not read"]
    out = []
    if to_text(current.get("image_tag_mutability")).upper() != to_text(wanted.get("image_tag_mutability")).upper():
        out.append("image tag mutability")
    if bool(current.get("scan_on_push")) != bool(wanted.get("scan_on_push")):
        out.append("scan on push")
    if to_text(wanted.get("encryption_type")).upper() == "KMS" and (
        to_text(current.get("encryption_type")).upper() != "KMS" or current.get("kms_key") != wanted.get("kms_key")
    ):
        out.append("encryption")
    lifecycle = json_document(wanted.get("lifecycle_policy"), "ecr lifecycle_policy") or None
    if lifecycle is not None and (current.get("lifecycle_policy") is None
                                  or compare_policies(current.get("lifecycle_policy"), lifecycle)):
        out.append("lifecycle policy")
    access = json_document(wanted.get("repository_policy"), "ecr_repository_policy") or None
    if access is not None and ("repository_policy" not in current or current.get("repository_policy") is None
                               or compare_policies(current.get("repository_policy"), access)):
        out.append("repository policy")
    return out
