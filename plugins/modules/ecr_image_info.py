#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecr_image_info
short_description: Resolve image tags in an ECR repository to digests
version_added: 0.1.0
description:
  - Looks up image tags in a private ECR repository and returns each tag's digest, so that a task
    definition can pin C(repository@sha256:...) and a re-push of a tag cannot change what runs.
  - Reports which requested tags are missing instead of failing, so a role can fail with a message that
    names the inventory variable; a repository that does not exist yet is reported, not an error.
  - Written because neither amazon.aws nor community.aws has a module that reads ECR images
    (C(community.aws.ecs_ecr) manages repositories only).
  - With I(include_platforms=true), also says which platforms (os/architecture) each image is built for,
    as far as the registry states it, so that a role can refuse an image that cannot run on the
    task definition's CPU architecture before anything changes.
options:
  repository_name:
    description: Name of the repository, for example C(webstack-dev/backend).
    type: str
    required: true
  image_tags:
    description: Tags to resolve. An empty list only reports on the repository.
    type: list
    elements: str
    default: []
  registry_id:
    description: Account ID of the registry; the caller's account when omitted.
    type: str
  include_settings:
    description:
      - Also return the repository's scan-on-push and encryption settings and its lifecycle policy
        (one more read), so that a role can tell whether C(community.aws.ecs_ecr) would change anything
        and skip it (that module reads each repository five times).
      - With I(include_repository_policy=true), the repository's access policy too (one more read).
    type: bool
    default: false
  include_repository_policy:
    description: With I(include_settings=true), also read the repository's access policy.
    type: bool
    default: false
  include_platforms:
    description:
      - Read each tag's manifest (C(BatchGetImage) instead of C(DescribeImages), the same one read per tag)
        and return the platforms the registry states for it (C(images[].platforms)).
      - An image index or manifest list names the platform of each of its manifests. A single image manifest
        does not; its config blob does, so it is fetched (C(GetDownloadUrlForLayer) for the config digest,
        then a GET of that URL, checked against the digest). When that is not possible (no
        C(ecr:GetDownloadUrlForLayer) or C(ecr:BatchGetImage) permission, a network error) the platforms are
        reported unknown (C(platforms_known=false) with C(platforms_note)); the module does not fail.
      - C(pushed_at) is not returned then (BatchGetImage does not report it).
    type: bool
    default: false
  include_auth_token:
    description:
      - Also return a registry login (C(get_authorization_token)) for pushing with a container engine.
      - The password is a secret; use C(no_log) on the task.
    type: bool
    default: false
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Resolve the backend tag to a digest
  stackops.ecs_webstack.ecr_image_info:
    repository_name: webstack-dev/backend
    image_tags: ["3f2c1ab"]
  register: backend_image

- name: Fail when the tag was never pushed
  ansible.builtin.assert:
    that: backend_image.missing_tags | length == 0
"""

RETURN = r"""
repository_exists:
  description: Whether the repository exists.
  returned: always
  type: bool
repository_uri:
  description: URI of the repository, empty when it does not exist.
  returned: always
  type: str
  sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/webstack-dev/backend
repository_arn:
  description: ARN of the repository, empty when it does not exist.
  returned: always
  type: str
images:
  description: One entry per requested tag that exists.
  returned: always
  type: list
  elements: dict
  contains:
    tag:
      description: The requested tag.
      type: str
    digest:
      description: Image digest (C(sha256:...)).
      type: str
    image_uri:
      description: C(repository_uri@digest), what a task definition should run.
      type: str
    pushed_at:
      description: When the image was pushed (ISO 8601); empty with I(include_platforms=true).
      type: str
    manifest_media_type:
      description: Media type of the tag's manifest (an image manifest, or an image index / manifest list for a
        multi-platform image).
      type: str
      returned: with I(include_platforms=true)
    platforms:
      description:
        - The platforms the registry states the image runs on; empty when C(platforms_known) is false.
        - C(cpu_architecture) is the ECS name of the architecture (C(amd64) is C(X86_64), C(arm64) is C(ARM64)),
          null for an architecture or os ECS does not run.
      type: list
      elements: dict
      returned: with I(include_platforms=true)
      sample: [{os: linux, architecture: arm64, variant: v8, cpu_architecture: ARM64}]
    platforms_known:
      description: Whether the registry stated the platforms (false for an index entry without a platform or
        a config blob that could not be read).
      type: bool
      returned: with I(include_platforms=true)
    platforms_from:
      description: C(index) (the image index / manifest list), C(config) (the image's config blob) or empty.
      type: str
      returned: with I(include_platforms=true)
    platforms_note:
      description: Why the platforms are unknown (empty when known).
      type: str
      returned: with I(include_platforms=true)
    cpu_architectures:
      description: The ECS CPU architectures among the image's linux platforms (C(X86_64), C(ARM64)), sorted.
      type: list
      elements: str
      returned: with I(include_platforms=true)
missing_tags:
  description: Requested tags that are not in the repository (all of them when it does not exist).
  returned: always
  type: list
  elements: str
digests:
  description: Mapping of tag to digest for the tags found.
  returned: always
  type: dict
tags:
  description: The repository's resource tags (empty when it does not exist).
  returned: always
  type: dict
image_tag_mutability:
  description: C(IMMUTABLE) or C(MUTABLE) (empty when the repository does not exist).
  returned: always
  type: str
settings:
  description: The repository's settings, as C(community.aws.ecs_ecr) sets them.
  returned: when I(include_settings=true) and the repository exists
  type: dict
  contains:
    image_tag_mutability:
      description: C(IMMUTABLE) or C(MUTABLE).
      type: str
    scan_on_push:
      description: Whether images are scanned on push.
      type: bool
    encryption_type:
      description: C(AES256) or C(KMS).
      type: str
    kms_key:
      description: The KMS key, when I(encryption_type=KMS).
      type: str
    lifecycle_policy:
      description: The lifecycle policy document, null when there is none.
      type: dict
    repository_policy:
      description: The access policy document (null when there is none), when I(include_repository_policy=true).
      type: dict
registry_login:
  description: Registry endpoint, user name and password for C(docker login).
  returned: when I(include_auth_token=true)
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import describe_repository
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import find_image_by_tag
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import get_image_manifest
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import image_platforms
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import registry_login
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import repository_policy_text
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import repository_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client


def main():
    argument_spec = dict(
        repository_name=dict(type="str", required=True),
        image_tags=dict(type="list", elements="str", default=[]),
        registry_id=dict(type="str"),
        include_settings=dict(type="bool", default=False),
        include_repository_policy=dict(type="bool", default=False),
        include_platforms=dict(type="bool", default=False),
        include_auth_token=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "ecr")
    name = module.params["repository_name"]
    registry_id = module.params["registry_id"]
    result = dict(
        changed=False,
        repository_exists=False,
        repository_uri="",
        repository_arn="",
        images=[],
        missing_tags=list(module.params["image_tags"]),
        digests={},
        tags={},
        image_tag_mutability="",
    )
    if module.params["include_auth_token"]:
        result["registry_login"] = registry_login(module, client, registry_id)
    repository = describe_repository(module, client, name, registry_id)
    if repository is None:
        module.exit_json(**result)
    result.update(
        repository_exists=True,
        repository_uri=repository["repositoryUri"],
        repository_arn=repository["repositoryArn"],
        missing_tags=[],
        tags=repository_tags(module, client, repository["repositoryArn"]),
        image_tag_mutability=repository.get("imageTagMutability", ""),
    )
    if module.params["include_settings"]:
        encryption = repository.get("encryptionConfiguration") or {}
        result["settings"] = dict(
            image_tag_mutability=repository.get("imageTagMutability", ""),
            scan_on_push=bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush")),
            encryption_type=encryption.get("encryptionType", "AES256"),
            kms_key=encryption.get("kmsKey", ""),
            lifecycle_policy=repository_policy_text(module, client, name, "lifecycle", registry_id),
        )
        if module.params["include_repository_policy"]:
            result["settings"]["repository_policy"] = repository_policy_text(module, client, name, "repository", registry_id)
    for tag in module.params["image_tags"]:
        entry, denied = _platform_entry(module, client, name, tag, registry_id) if module.params["include_platforms"] else (None, "")
        if entry is None and denied is not None:
            entry = _described_entry(module, client, name, tag, registry_id, denied)
        if entry is None:
            result["missing_tags"].append(tag)
            continue
        entry["image_uri"] = "{0}@{1}".format(repository["repositoryUri"], entry["digest"])
        result["images"].append(entry)
        result["digests"][tag] = entry["digest"]
    module.exit_json(**result)


def _described_entry(module, client, name, tag, registry_id, denied=""):
    """The tag as DescribeImages reports it, None when it is not in the repository (``denied``: the error
    BatchGetImage answered, with include_platforms)."""
    image = find_image_by_tag(module, client, name, tag, registry_id)
    if image is None:
        return None
    pushed_at = image.get("imagePushedAt")
    entry = dict(tag=tag, digest=image["imageDigest"],
                 pushed_at=pushed_at.isoformat() if hasattr(pushed_at, "isoformat") else str(pushed_at or ""))
    if module.params["include_platforms"]:
        # Only when BatchGetImage was refused: the digest is known, the platforms are not.
        entry.update(manifest_media_type=image.get("imageManifestMediaType", ""), platforms=[], platforms_known=False,
                     platforms_from="", platforms_note="BatchGetImage: {0}".format(denied), cpu_architectures=[])
    return entry


def _platform_entry(module, client, name, tag, registry_id):
    """(entry, denied): the tag read with its manifest (BatchGetImage) and the platforms the registry states.
    (None, None) when the tag is not there; (None, error code) when manifests may not be read, so that
    DescribeImages answers instead."""
    image, denied = get_image_manifest(module, client, name, tag, registry_id)
    if image is None:
        return None, denied
    platforms, source, note = image_platforms(client, name, image, registry_id)
    return dict(
        tag=tag,
        digest=image["imageId"]["imageDigest"],
        pushed_at="",
        manifest_media_type=image.get("imageManifestMediaType", ""),
        platforms=platforms or [],
        platforms_known=platforms is not None,
        platforms_from=source,
        platforms_note=note,
        cpu_architectures=sorted(set(p["cpu_architecture"] for p in platforms or [] if p["cpu_architecture"])),
    ), None


if __name__ == "__main__":
    main()
