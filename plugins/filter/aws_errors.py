# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed amazon.aws/community.aws task says AWS answered, for retries on one error only.

    until: result is not failed or (result | stackops.ecs_webstack.aws_error_code) != 'DependencyViolation'

AWS is eventually consistent: ENIs linger after the task, node or gateway that owned them is gone
(security group, subnet and VPC deletes fail with DependencyViolation meanwhile), a new IAM role is not
assumable by Lambda for seconds. Those are retried; any other error fails at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.common._collections_compat import Mapping

_CODE_IN_MSG = re.compile(r"An error occurred \(([A-Za-z0-9._]+)\)")


def aws_error_code(result):
    """The AWS error code of a failed task result ('' when it did not fail or says none)."""
    if not isinstance(result, Mapping) or not result.get("failed"):
        return ""
    error = result.get("error")
    if isinstance(error, Mapping) and error.get("code"):
        return str(error["code"])
    match = _CODE_IN_MSG.search(str(result.get("msg", "")))
    return match.group(1) if match else ""


def dependency_violation(result):
    """True when a failed delete was refused because something still depends on the resource."""
    return aws_error_code(result) == "DependencyViolation"


class FilterModule(object):
    def filters(self):
        return {"aws_error_code": aws_error_code, "dependency_violation": dependency_violation}
