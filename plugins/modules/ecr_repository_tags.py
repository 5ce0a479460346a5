#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecr_repository_tags
short_description: Manage the resource tags of an ECR repository
version_added: 0.1.0
description:
  - Sets the tags of an existing private ECR repository. The stack tags every resource it creates
    with its stack and environment so that destroy acts only on what it created.
  - Written because C(community.aws.ecs_ecr) cannot tag repositories.
options:
  repository_name:
    description: Name of the repository.
    type: str
    required: true
  registry_id:
    description: Account ID of the registry; the caller's account when omitted.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
author:
  - ecs_webstack contributors (@stackops)
"""

EXAMPLES = r"""
- name: Tag the backend repository
  stackops.ecs_webstack.ecr_repository_tags:
    repository_name: webstack-dev/backend
    tags:
      "webstack:stack": webstack
      "webstack:env": dev
"""

RETURN = r"""
tags:
  description: The repository's tags afterwards.
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import describe_repository
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import repository_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tags_after


def main():
    argument_spec = dict(
        repository_name=dict(type="str", required=True),
        registry_id=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "ecr")
    name = module.params["repository_name"]
    repository = describe_repository(module, client, name, module.params["registry_id"])
    if repository is None:
        module.fail_json(msg="ECR repository {0} does not exist: create it first.".format(name))
    arn = repository["repositoryArn"]
    current = repository_tags(module, client, arn)
    if module.params["tags"] is None:
        module.exit_json(changed=False, tags=current)
    to_set, to_remove = ensure_tags(module, client, "ecr", arn, current, module.params["tags"], module.params["purge_tags"],
                                    "Could not tag ECR repository {0}".format(name))
    wanted = tags_after(current, to_set, to_remove)
    diff = dict(before=dict(tags=current), after=dict(tags=wanted))
    module.exit_json(changed=bool(to_set or to_remove), tags=wanted, diff=diff)


if __name__ == "__main__":
    main()
