#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_secret_refs_info
short_description: Check that the secrets a task definition references exist, without reading their values
version_added: 0.1.0
description:
  - For each Secrets Manager secret ARN (C(DescribeSecret)) and SSM parameter ARN (C(DescribeParameters)) that a
    task definition's C(secrets) will reference, reports whether it exists. Secret values are never read.
  - A task whose secret does not exist fails to start, and the deployment circuit breaker then rolls back after
    several minutes; checking first lets a role fail before any change, naming the variable.
  - Written because the collections' secret lookups (C(amazon.aws.secretsmanager_secret),
    C(amazon.aws.ssm_parameter)) read the values, which an existence check should not do.
options:
  refs:
    description: Mapping of a name (for example the container's environment variable) to a secret or parameter ARN.
    type: dict
    required: true
  known_arns:
    description:
      - ARNs known to exist without a read, because the same play has just read or created them (for example the
        ARNs C(secretsmanager_secrets_info) listed, or those C(community.aws.secretsmanager_secret) returned). A ref with
        one of these exact ARNs is reported in RV(found) without C(DescribeSecret); every other ref (SSM parameters,
        ARNs given by the user) is still checked. Empty strings are ignored.
    type: list
    elements: str
    default: []
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the backend's secrets before anything changes
  stackops.ecs_webstack.ecs_secret_refs_info:
    refs:
      MONGODB_URI: arn:aws:secretsmanager:eu-west-1:123456789012:secret:webstack-dev/mongodb-uri-AbCdEf
      REDIS_HOST: arn:aws:ssm:eu-west-1:123456789012:parameter/webstack-dev/redis-host
  register: refs

- name: The same check, without reading again the secret the play created a moment ago
  stackops.ecs_webstack.ecs_secret_refs_info:
    refs:
      MONGODB_URI: "{{ app_secrets_task_secrets.backend[0].valueFrom }}"
      API_KEY: arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/api-key-XyZ123
    known_arns: ["{{ app_secrets_task_secrets.backend[0].valueFrom }}"]
  register: refs

- name: Fail naming what is missing
  ansible.builtin.assert:
    that: refs.missing | length == 0
"""

RETURN = r"""
missing:
  description: Names whose ARN does not exist (or is not a secret or parameter ARN).
  returned: always
  type: list
  elements: str
found:
  description: Names whose ARN exists (or is in O(known_arns)).
  returned: always
  type: list
  elements: str
checked:
  description: Names whose ARN was read from AWS (not in O(known_arns)).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def secret_exists(module, client, arn):
    try:
        client.describe_secret(SecretId=arn)
    except is_boto3_error_code("ResourceNotFoundException"):
        return False
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not check secret {0}".format(arn))
    return True


def parameter_exists(module, client, arn):
    # The ARN of "/a/b" is ...:parameter/a/b and that of "x" is ...:parameter/x: try both names.
    rest = arn.split(":parameter/", 1)[1]
    names = ["/" + rest, rest]
    try:
        found = client.describe_parameters(ParameterFilters=[dict(Key="Name", Option="Equals", Values=names)])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not check parameter {0}".format(rest))
    return any(p.get("Name") in names for p in found.get("Parameters", []))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            refs=dict(type="dict", required=True),
            known_arns=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    known = set(arn for arn in module.params["known_arns"] or [] if arn)
    clients = {}

    def client(service):
        if service not in clients:
            clients[service] = aws_client(module, service)
        return clients[service]

    missing, found, checked = [], [], []
    for name, arn in sorted(module.params["refs"].items()):
        arn = str(arn or "")
        if arn in known:
            found.append(name)
            continue
        checked.append(name)
        if ":secretsmanager:" in arn and ":secret:" in arn:
            exists = secret_exists(module, client("secretsmanager"), arn)
        elif ":ssm:" in arn and ":parameter/" in arn:
            exists = parameter_exists(module, client("ssm"), arn)
        else:
            exists = False
        (found if exists else missing).append(name)
    module.exit_json(changed=False, missing=missing, found=found, checked=checked)


if __name__ == "__main__":
    main()
