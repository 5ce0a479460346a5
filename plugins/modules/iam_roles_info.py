#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: iam_roles_info
short_description: Read IAM roles, their managed policies and named inline policies, and the account, in few calls
version_added: 0.2.0
description:
  - Reads each named role with C(GetRole) (trust policy, description, maximum session, permissions boundary,
    tags), its attached managed policies with C(ListAttachedRolePolicies), and each inline policy named in
    I(roles[].inline_policies) with C(GetRolePolicy). A missing role costs one call, an existing one two, plus
    one per named inline policy.
  - Also returns the account ID and partition, taken from the ARN of a role that exists (a role is always in
    the caller's account), and from one C(sts:GetCallerIdentity) only when none of the roles exists yet.
  - Why this module exists, C(amazon.aws.iam_role_info) costs about four reads per role (it also lists instance
    profiles and tags) and no inline policy, C(amazon.aws.iam_policy) lists and reads every inline policy of the
    role before it compares one, and C(amazon.aws.aws_caller_info) adds C(iam:ListAccountAliases) to the identity.
    The C(ecs_cluster) role reads its roles once with this module and runs C(amazon.aws.iam_role) and
    C(amazon.aws.iam_policy) only for a role or policy that differs from the inventory.
  - Read-only, so check mode is safe. Does not use C(GetAccountAuthorizationDetails), which reads the whole
    account.
author:
  - ecs_webstack contributors (@stackops)
options:
  roles:
    description: The roles to read.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      inline_policies:
        description:
          - Names of inline policies to read. Other inline policies of the role are not read (C(amazon.aws.iam_policy)
            with I(skip_duplicates=false) leaves them alone as well).
        type: list
        elements: str
        default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Read-only; runs in check mode.
    support: full
  diff_mode:
    description: Reads only, nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Read the stack's roles and the execution role's secrets policy
  stackops.ecs_webstack.iam_roles_info:
    roles:
      - name: webstack-dev-ecs-execution
        inline_policies: [webstack-dev-read-stack-secrets]
      - name: webstack-dev-backend-task
  register: stack_roles

- name: Show the execution role's ARN and whether its policy is there
  ansible.builtin.debug:
    msg: >-
      {{ stack_roles.roles['webstack-dev-ecs-execution'].arn }} in {{ stack_roles.account_id }};
      policy present: {{ stack_roles.roles['webstack-dev-ecs-execution'].inline_policies['webstack-dev-read-stack-secrets'] is not none }}
"""

RETURN = r"""
account_id:
  description: The AWS account the roles are in (the caller's account).
  returned: always
  type: str
  sample: "123456789012"
partition:
  description: The AWS partition, for building ARNs.
  returned: always
  type: str
  sample: aws
roles:
  description: One entry per requested role, keyed by role name.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the role exists. The other keys are empty when it does not.
      type: bool
    arn:
      description: Role ARN.
      type: str
    path:
      description: Role path.
      type: str
    description:
      description: Role description (null when the role has none).
      type: str
    max_session_duration:
      description: Maximum session duration in seconds.
      type: int
    permissions_boundary:
      description: ARN of the permissions boundary, empty when there is none.
      type: str
    assume_role_policy_document:
      description: The trust policy, parsed.
      type: dict
    tags:
      description: Role tags.
      type: dict
    managed_policies:
      description: ARNs of the attached managed policies, sorted.
      type: list
      elements: str
    inline_policies:
      description: Each requested inline policy's document (parsed), or null when the role has no policy of that name.
      type: dict
  sample:
    webstack-dev-backend-task:
      exists: true
      arn: arn:aws:iam::123456789012:role/webstack-dev-backend-task
      path: /
      description: ECS task role of the backend service
      max_session_duration: 3600
      permissions_boundary: ""
      assume_role_policy_document: {Version: "2012-10-17", Statement: []}
      tags: {"webstack:env": dev}
      managed_policies: []
      inline_policies: {}
"""

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client


def _missing(inline_names):
    return dict(
        exists=False,
        arn="",
        path="",
        description=None,
        max_session_duration=None,
        permissions_boundary="",
        assume_role_policy_document={},
        tags={},
        managed_policies=[],
        inline_policies=dict((name, None) for name in inline_names),
    )


def read_role(module, client, name, inline_names):
    """The role as the module returns it: one GetRole, and for an existing role the policies."""
    try:
        role = client.get_role(RoleName=name)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return _missing(inline_names)
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read IAM role {0}".format(name))
    try:
        managed = []
        for page in client.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            managed.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not list the managed policies of IAM role {0}".format(name))
    inline = {}
    for policy_name in inline_names:
        try:
            # botocore decodes the URL-encoded document into a dict.
            inline[policy_name] = client.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        except is_boto3_error_code("NoSuchEntity"):
            inline[policy_name] = None
        except aws_errors() as err:  # pylint: disable=duplicate-except
            module.fail_json_aws(err, msg="Could not read inline policy {0} of IAM role {1}".format(policy_name, name))
    return dict(
        exists=True,
        arn=role["Arn"],
        path=role.get("Path", "/"),
        description=role.get("Description"),
        max_session_duration=role.get("MaxSessionDuration"),
        permissions_boundary=(role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn", ""),
        assume_role_policy_document=role.get("AssumeRolePolicyDocument") or {},
        tags=boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
        managed_policies=sorted(managed),
        inline_policies=inline,
    )


def account_of(module, roles):
    """(account ID, partition): from an existing role's ARN, else one sts:GetCallerIdentity."""
    for role in roles.values():
        if role["exists"]:
            arn = parse_aws_arn(role["arn"])
            return arn["account_id"], arn["partition"]
    sts = aws_client(module, "sts")
    try:
        identity = sts.get_caller_identity()
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not read the caller's AWS account")
    return identity["Account"], parse_aws_arn(identity["Arn"])["partition"]


def main():
    argument_spec = dict(
        roles=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                inline_policies=dict(type="list", elements="str", default=[]),
            ),
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "iam")
    # A role listed twice is read once, with the inline policies of both entries.
    wanted = {}
    for spec in module.params["roles"]:
        names = wanted.setdefault(spec["name"], [])
        names.extend(n for n in spec["inline_policies"] or [] if n not in names)
    roles = dict((name, read_role(module, client, name, inline)) for name, inline in wanted.items())
    account_id, partition = account_of(module, roles)
    module.exit_json(changed=False, account_id=account_id, partition=partition, roles=roles)


if __name__ == "__main__":
    main()
