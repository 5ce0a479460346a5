#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecr_image
short_description: Put an image manifest under a tag in ECR (retag or seed) without a container engine
version_added: 0.1.0
description:
  - Makes C(image_tag) point at an image in a private ECR repository by writing its manifest with
    the ECR API (C(PutImage)), with no container engine, either from an existing image's manifest
    (C(source_tag), a retag such as promoting C(3f2c1ab) to C(release-42)) or a given manifest
    (C(manifest), used to seed an emulated registry for tests).
  - Idempotent. When the tag already points at the same manifest nothing changes; when it points at
    another image in an immutable repository the module fails and says so, as ECR would.
  - Written because no amazon.aws or community.aws module writes ECR images.
options:
  repository_name:
    description: Name of the repository.
    type: str
    required: true
  image_tag:
    description: Tag to create.
    type: str
    required: true
  source_tag:
    description: Existing tag whose manifest C(image_tag) should point at. Mutually exclusive with C(manifest).
    type: str
  manifest:
    description:
      - Image manifest (JSON text or a dict) to store. Must carry C(mediaType).
      - Mutually exclusive with C(source_tag).
    type: json
  registry_id:
    description: Account ID of the registry; the caller's account when omitted.
    type: str
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Promote a tested build
  stackops.ecs_webstack.ecr_image:
    repository_name: webstack-prod/backend
    source_tag: 3f2c1ab
    image_tag: release-42
"""

RETURN = r"""
digest:
  description: Digest the tag points at afterwards (unknown in check mode when the tag is new).
  returned: always
  type: str
image_uri:
  description: C(repository_uri@digest).
  returned: when the repository exists
  type: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import describe_repository
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import registry_args
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def _get_image(module, client, name, tag, registry_id):
    """The tag's image (imageManifest and imageId.imageDigest), or None when the tag is not there."""
    try:
        found = client.batch_get_image(
            repositoryName=name, imageIds=[{"imageTag": tag}], **registry_args(registry_id)
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read tag {0} of ECR repository {1}".format(tag, name))
    return found["images"][0] if found.get("images") else None


def _same_manifest(left, right):
    try:
        return json.loads(left) == json.loads(right)
    except ValueError:
        return left == right


def main():
    argument_spec = dict(
        repository_name=dict(type="str", required=True),
        image_tag=dict(type="str", required=True),
        source_tag=dict(type="str"),
        manifest=dict(type="json"),
        registry_id=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("source_tag", "manifest")],
        required_one_of=[("source_tag", "manifest")],
    )
    client = aws_client(module, "ecr")
    name = module.params["repository_name"]
    tag = module.params["image_tag"]
    registry_id = module.params["registry_id"]

    repository = describe_repository(module, client, name, registry_id)
    if repository is None:
        module.fail_json(
            msg="ECR repository {0} does not exist: create it first (role stackops.ecs_webstack.ecr).".format(name)
        )

    if module.params["source_tag"]:
        source = _get_image(module, client, name, module.params["source_tag"], registry_id)
        if source is None:
            module.fail_json(
                msg="source_tag {0} is not in ECR repository {1}: push it first.".format(module.params["source_tag"], name)
            )
        manifest = source["imageManifest"]
    else:
        manifest = module.params["manifest"]
        try:
            if "mediaType" not in json.loads(manifest):
                module.fail_json(msg="manifest must carry mediaType (for example application/vnd.oci.image.manifest.v1+json).")
        except ValueError as err:
            module.fail_json(msg="manifest is not valid JSON: {0}".format(err))

    current = _get_image(module, client, name, tag, registry_id)
    before_digest = current["imageId"]["imageDigest"] if current else None
    if current is not None and _same_manifest(current["imageManifest"], manifest):
        module.exit_json(changed=False, digest=before_digest, image_uri="{0}@{1}".format(repository["repositoryUri"], before_digest))
    if current is not None and repository.get("imageTagMutability", "").startswith("IMMUTABLE"):
        module.fail_json(
            msg=(
                "Tag {0} of immutable ECR repository {1} already points at {2}; immutable tags cannot move. "
                "Choose a new tag."
            ).format(tag, name, before_digest)
        )

    diff = dict(before=dict(tag=tag, digest=before_digest), after=dict(tag=tag))
    if module.check_mode:
        module.exit_json(changed=True, digest="", diff=diff)
    try:
        put = client.put_image(repositoryName=name, imageManifest=manifest, imageTag=tag, **registry_args(registry_id))
    except is_boto3_error_code("ImageTagAlreadyExistsException") as err:
        module.fail_json_aws(err, msg="Tag {0} of immutable ECR repository {1} already exists; choose a new tag.".format(tag, name))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not put tag {0} in ECR repository {1}".format(tag, name))
    digest = put["image"]["imageId"]["imageDigest"]
    diff["after"]["digest"] = digest
    module.exit_json(changed=True, digest=digest, image_uri="{0}@{1}".format(repository["repositoryUri"], digest), diff=diff)


if __name__ == "__main__":
    main()
