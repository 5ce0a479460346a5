#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lambda_reserved_concurrency
short_description: Set or remove a Lambda function's reserved concurrency
version_added: 0.1.0
description:
  - Reads the function's reserved concurrency (C(GetFunctionConcurrency)) and sets it (C(PutFunctionConcurrency))
    or removes it (C(DeleteFunctionConcurrency)) only where it differs.
  - The stack's Atlas sync Lambda runs with a reserved concurrency of 1, because the Atlas access list endpoint does
    not accept concurrent POST requests for one project; several task state changes at once would otherwise run
    several copies of the function side by side.
  - Written because neither C(amazon.aws.lambda) nor any C(community.aws) module manages reserved concurrency.
options:
  function_name:
    description: Name or ARN of the function (it must exist).
    type: str
    required: true
  reserved_concurrent_executions:
    description:
      - The number of concurrent executions reserved for the function (0 stops every invocation).
      - Omitted with I(state=absent).
    type: int
  state:
    description: C(present) sets I(reserved_concurrent_executions); C(absent) removes the reservation.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - ecs_webstack contributors (@stackops)
"""

EXAMPLES = r"""
- name: One copy of the sync function at a time
  stackops.ecs_webstack.lambda_reserved_concurrency:
    function_name: webstack-prod-atlas-sync
    reserved_concurrent_executions: 1
"""

RETURN = r"""
reserved_concurrent_executions:
  description: The reservation afterwards (in check mode, what it would be); null when there is none.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client


def current_reservation(module, client, name):
    try:
        return client.get_function_concurrency(FunctionName=name, aws_retry=True).get("ReservedConcurrentExecutions")
    except is_boto3_error_code("ResourceNotFoundException"):
        module.fail_json(msg="Lambda function {0} does not exist: create it first (amazon.aws.lambda).".format(name))
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read the reserved concurrency of {0}".format(name))


def main():
    argument_spec = dict(
        function_name=dict(type="str", required=True),
        reserved_concurrent_executions=dict(type="int"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[["state", "present", ["reserved_concurrent_executions"]]],
    )
    params = module.params
    wanted = params["reserved_concurrent_executions"] if params["state"] == "present" else None
    if wanted is not None and wanted < 0:
        module.fail_json(msg="reserved_concurrent_executions is {0}: use 0 or more (1 runs one copy at a time).".format(wanted))
    client = aws_client(module, "lambda")
    name = params["function_name"]
    before = current_reservation(module, client, name)
    changed = before != wanted
    if changed and not module.check_mode:
        try:
            if wanted is None:
                client.delete_function_concurrency(FunctionName=name, aws_retry=True)
            else:
                client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=wanted, aws_retry=True)
        except aws_errors() as err:
            module.fail_json_aws(err, msg="Could not set the reserved concurrency of {0}".format(name))
    result = dict(changed=changed, reserved_concurrent_executions=wanted)
    if module._diff:
        result["diff"] = dict(before=dict(reserved_concurrent_executions=before),
                              after=dict(reserved_concurrent_executions=wanted))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
