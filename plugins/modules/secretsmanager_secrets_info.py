#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: secretsmanager_secrets_info
short_description: Read every Secrets Manager secret under a name prefix in one call, and check values without returning them
version_added: 0.1.0
description:
  - Lists the secrets whose name starts with O(name_prefix) (C(ListSecrets) with a C(name) filter, paginated,
    including secrets scheduled for deletion) and returns, per secret, what C(community.aws.secretsmanager_secret)
    compares besides the value and the resource policy (ARN, description, KMS key, tags, rotation, and whether the
    secret is scheduled for deletion).
  - With O(compare_values), also reads the current values of those secrets in C(BatchGetSecretValue) calls (20 secrets
    a call) and returns, per secret, only whether the stored value equals the given one (RV(secrets.value_matches)).
    Secret values are never returned (they are compared inside the module and dropped).
  - Written because no amazon.aws or community.aws module reads several secrets at once.
    C(community.aws.secretsmanager_secret) makes four reads per secret on a run that changes nothing
    (C(DescribeSecret) twice, C(GetSecretValue), C(GetResourcePolicy)) and the C(amazon.aws.secretsmanager_secret)
    lookup one more, and the lookup hands the value to the play. This module makes one C(ListSecrets) call for all of a
    stack's secrets, plus one C(BatchGetSecretValue) call per 20 values compared, so a role can run
    C(community.aws.secretsmanager_secret) only for a secret that differs.
  - Resource policies and replication status are not read (that would take one more call per secret).
  - Needs C(secretsmanager:ListSecrets) and, for O(compare_values), C(secretsmanager:BatchGetSecretValue) plus
    C(secretsmanager:GetSecretValue) (and C(kms:Decrypt)) on each secret compared.
options:
  name_prefix:
    description:
      - Secrets whose name starts with this string (case-sensitive), for example C(webstack-dev/).
      - AWS matches the C(name) filter by prefix; the module keeps only names that really start with it.
    type: str
    required: true
  compare_values:
    description:
      - Mapping of a secret name (under O(name_prefix)) to the value it should hold (a string secret).
      - For each of these that exists and is not scheduled for deletion, RV(secrets.value_matches) says whether the
        stored C(SecretString) equals it. Never logged.
    type: dict
    default: {}
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Reads only; check mode runs the same reads.
"""

EXAMPLES = r"""
- name: Read the stack's secrets once; tell whether the application secrets hold the inventory's values
  stackops.ecs_webstack.secretsmanager_secrets_info:
    name_prefix: webstack-dev/
    compare_values:
      webstack-dev/backend/mongodb-uri: "{{ webstack_mongodb_uri }}"
  register: secrets_read

- name: Store a secret only when it is missing or its value differs
  community.aws.secretsmanager_secret:
    name: webstack-dev/backend/mongodb-uri
    secret: "{{ webstack_mongodb_uri }}"
  no_log: true
  when: >-
    'webstack-dev/backend/mongodb-uri' not in secrets_read.secrets
    or not secrets_read.secrets['webstack-dev/backend/mongodb-uri'].value_matches
"""

RETURN = r"""
name_prefix:
  description: The prefix that was read (every secret under it is in RV(secrets); a name under it that is absent does not exist).
  returned: always
  type: str
  sample: webstack-dev/
secrets:
  description: The secrets found, by name.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the secret.
      type: str
      sample: arn:aws:secretsmanager:eu-west-1:123456789012:secret:webstack-dev/backend/mongodb-uri-AbCdEf
    name:
      description: Name of the secret.
      type: str
    description:
      description: Description; empty when there is none.
      type: str
    kms_key_id:
      description: KMS key the secret is encrypted with; null for the account's C(aws/secretsmanager) key.
      type: str
    tags:
      description: Tags, as a dict.
      type: dict
    deleted:
      description: Whether the secret is scheduled for deletion (C(community.aws.secretsmanager_secret) restores it).
      type: bool
    rotation_enabled:
      description: Whether automatic rotation is on.
      type: bool
    value_matches:
      description:
        - Whether the stored value equals the one given in O(compare_values); null when it was not compared (not
          asked, or the secret is scheduled for deletion and its value cannot be read).
      type: bool
compared:
  description: Names whose value was compared.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client

# BatchGetSecretValue takes at most 20 secret IDs per call.
BATCH_SIZE = 20


@AWSRetry.jittered_backoff()
def _list_secrets(client, prefix):
    paginator = client.get_paginator("list_secrets")
    pages = paginator.paginate(Filters=[dict(Key="name", Values=[prefix])], IncludePlannedDeletion=True)
    return pages.build_full_result().get("SecretList", [])


@AWSRetry.jittered_backoff()
def _batch_get_values(client, secret_ids):
    values, errors, token = [], [], None
    while True:
        request = dict(SecretIdList=secret_ids)
        if token:
            request["NextToken"] = token
        page = client.batch_get_secret_value(**request)
        values.extend(page.get("SecretValues", []))
        errors.extend(page.get("Errors", []))
        token = page.get("NextToken")
        if not token:
            return values, errors


def read_secrets(module, client, prefix):
    """{name: summary} of the secrets under prefix (ListSecrets matches by prefix; keep exact prefixes only)."""
    try:
        found = _list_secrets(client, prefix)
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not list the secrets under {0}".format(prefix))
    out = {}
    for secret in found:
        name = secret.get("Name", "")
        if not name.startswith(prefix):
            continue
        out[name] = dict(
            arn=secret["ARN"],
            name=name,
            description=secret.get("Description", ""),
            kms_key_id=secret.get("KmsKeyId"),
            tags=boto3_tag_list_to_ansible_dict(secret.get("Tags", [])),
            deleted=bool(secret.get("DeletedDate")),
            rotation_enabled=bool(secret.get("RotationEnabled", False)),
            value_matches=None,
        )
    return out


def compare_values(module, client, secrets, wanted):
    """Set value_matches on each readable secret named in wanted; return the names compared. Values stay here."""
    arns = dict((secrets[name]["arn"], name) for name in wanted if name in secrets and not secrets[name]["deleted"])
    ids = sorted(arns)
    compared = []
    for start in range(0, len(ids), BATCH_SIZE):
        try:
            values, errors = _batch_get_values(client, ids[start:start + BATCH_SIZE])
        except aws_errors() as err:
            module.fail_json_aws(err, msg="Could not read the values of the secrets under {0}".format(module.params["name_prefix"]))
        if errors:
            module.fail_json(
                msg="Could not read the value of: {0}".format(
                    ", ".join("{0} ({1})".format(e.get("SecretId"), e.get("ErrorCode")) for e in errors)
                )
            )
        for value in values:
            name = arns.get(value.get("ARN")) or value.get("Name")
            if name not in wanted:
                continue
            stored = value.get("SecretString")
            secrets[name]["value_matches"] = stored is not None and stored == wanted[name]
            compared.append(name)
    return sorted(compared)


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        compare_values=dict(type="dict", default={}, no_log=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    prefix = module.params["name_prefix"]
    wanted = dict((name, "" if value is None else str(value)) for name, value in (module.params["compare_values"] or {}).items())
    outside = sorted(name for name in wanted if not name.startswith(prefix))
    if not prefix:
        module.fail_json(msg="name_prefix must not be empty: give the stack's prefix, for example webstack-dev/")
    if outside:
        module.fail_json(msg="compare_values names secrets outside name_prefix {0}: {1}".format(prefix, ", ".join(outside)))
    client = aws_client(module, "secretsmanager")
    secrets = read_secrets(module, client, prefix)
    compared = compare_values(module, client, secrets, wanted) if wanted else []
    module.exit_json(changed=False, name_prefix=prefix, secrets=secrets, compared=compared)


if __name__ == "__main__":
    main()
