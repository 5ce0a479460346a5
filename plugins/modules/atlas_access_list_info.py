#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: atlas_access_list_info
short_description: Read a MongoDB Atlas project's IP access list (Admin API v2)
version_added: 0.1.0
description:
  - Returns every entry of a project's IP access list, following pagination to the end.
  - Why this module exists, C(community.mongodb)'s Atlas modules use the v1.0 C(/whitelist)
    endpoint that Atlas removed in July 2021.
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - stackops.ecs_webstack.atlas
options:
  project_id:
    description:
      - The 24-hex-digit Atlas project (group) ID.
    type: str
    required: true
  comment_prefix:
    description:
      - Return only entries whose comment starts with this text.
    type: str
  with_status:
    description:
      - Also read each entry's status (C(PENDING), C(ACTIVE) or C(FAILED)); one extra call per entry.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Entries this collection manages for the dev stack
  stackops.ecs_webstack.atlas_access_list_info:
    project_id: 64b7f0c2a1b2c3d4e5f60718
    comment_prefix: "managed-by:stackops.ecs_webstack:webstack-dev"
  register: atlas_entries
"""

RETURN = r"""
entries:
  description: The entries as Atlas reports them (without links), with C(STATUS) when O(with_status=true).
  returned: always
  type: list
  elements: dict
  sample:
    - cidrBlock: 203.0.113.10/32
      ipAddress: 203.0.113.10
      comment: "managed-by:stackops.ecs_webstack:webstack-dev"
values:
  description: The entries' canonical values (CIDR or security group ID).
  returned: always
  type: list
  elements: str
  sample: ["203.0.113.10/32"]
error:
  description: On failure from Atlas, the HTTP status, Atlas C(errorCode), C(detail) and a hint.
  returned: on Atlas API failure
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import (
    AtlasError,
    atlas_argument_spec,
    client_from_module,
    fail_from_error,
)
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import (
    entry_key,
    entry_value,
    public_view,
)


def main():
    argument_spec = atlas_argument_spec()
    argument_spec.update(
        project_id=dict(type="str", required=True),
        comment_prefix=dict(type="str"),
        with_status=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    project_id = module.params["project_id"]
    prefix = module.params["comment_prefix"]
    client = client_from_module(module, project_id=project_id)
    try:
        entries = []
        for entry in client.list_access_list(project_id):
            if prefix and not (entry.get("comment") or "").startswith(prefix):
                continue
            view = public_view(entry)
            if module.params["with_status"]:
                view["STATUS"] = client.access_list_entry_status(project_id, entry_value(entry))
            entries.append(view)
    except AtlasError as err:
        fail_from_error(module, err)
    module.exit_json(changed=False, entries=entries, values=[entry_key(e) for e in entries])


if __name__ == "__main__":
    main()
