#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: elasticache_subnet_group_info
short_description: Read one ElastiCache cache subnet group and say what community.aws.elasticache_subnet_group would change
version_added: 0.1.0
description:
  - Reads a cache subnet group in one C(DescribeCacheSubnetGroups) call and, given the wanted O(description) and
    O(subnets), lists what C(community.aws.elasticache_subnet_group) would create or modify (RV(differences)), compared
    as that module compares (the description only when one is given, the subnets as a set only when some are given).
  - Written because C(community.aws.elasticache_subnet_group) reads the group twice on every run (before and after
    its change, also when nothing changes) and there is no info module for subnet groups; a role can run it only
    when RV(differences) is not empty.
options:
  name:
    description: Name of the cache subnet group (ElastiCache stores it in lower case, as the community module does).
    type: str
    required: true
  description:
    description: Wanted description; not compared when omitted or empty.
    type: str
  subnets:
    description: Wanted subnet IDs (order does not matter); not compared when omitted or empty.
    type: list
    elements: str
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Reads only; check mode runs the same read.
"""

EXAMPLES = r"""
- name: Read the Redis subnet group
  stackops.ecs_webstack.elasticache_subnet_group_info:
    name: webstack-dev-redis
    description: webstack-dev Redis, private subnets
    subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
  register: subnet_group_read

- name: Create or update it only when it differs
  community.aws.elasticache_subnet_group:
    name: webstack-dev-redis
    description: webstack-dev Redis, private subnets
    subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
  when: subnet_group_read.differences | length > 0
"""

RETURN = r"""
exists:
  description: Whether the subnet group exists.
  returned: always
  type: bool
subnet_group:
  description: The subnet group; empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: Name.
      type: str
    description:
      description: Description.
      type: str
    vpc_id:
      description: VPC of the subnets.
      type: str
    subnet_ids:
      description: Subnet IDs, sorted.
      type: list
      elements: str
    arn:
      description: ARN.
      type: str
differences:
  description: What community.aws.elasticache_subnet_group would change (C(missing), C(description), C(subnets)); empty when nothing.
  returned: always
  type: list
  elements: str
  sample: [subnets]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import elasticache as ec_utils
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        subnets=dict(type="list", elements="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "elasticache")
    current = ec_utils.describe_cache_subnet_group(module, client, module.params["name"].lower())
    module.exit_json(
        changed=False,
        exists=current is not None,
        subnet_group=current or {},
        differences=ec_utils.subnet_group_differences(current, module.params["description"], module.params["subnets"]),
    )


if __name__ == "__main__":
    main()
