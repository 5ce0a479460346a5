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
      description: When the image was pushed (ISO 8601).
      type: str
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
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import describe_repository
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import find_image_by_tag
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import registry_login
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import repository_policy_text
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import repository_tags


def main():
    argument_spec = dict(
        repository_name=dict(type="str", required=True),
        image_tags=dict(type="list", elements="str", default=[]),
        registry_id=dict(type="str"),
        include_settings=dict(type="bool", default=False),
        include_repository_policy=dict(type="bool", default=False),
        include_auth_token=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ecr", retry_decorator=AWSRetry.jittered_backoff())
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
        image = find_image_by_tag(module, client, name, tag, registry_id)
        if image is None:
            result["missing_tags"].append(tag)
            continue
        pushed_at = image.get("imagePushedAt")
        result["images"].append(
            dict(
                tag=tag,
                digest=image["imageDigest"],
                image_uri="{0}@{1}".format(repository["repositoryUri"], image["imageDigest"]),
                pushed_at=pushed_at.isoformat() if hasattr(pushed_at, "isoformat") else str(pushed_at or ""),
            )
        )
        result["digests"][tag] = image["imageDigest"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
