#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: atlas_cluster_info
short_description: Read a MongoDB Atlas cluster's state and connection strings (Admin API v2)
version_added: 0.1.0
description:
  - Returns one cluster (O(name)) or every cluster of a project, with its state and connection strings.
    The backend needs the C(mongodb+srv://) string (C(connection_strings.standardSrv)).
  - Uses the current clusters API version C(2024-08-05); the 2023 versions are sunset.
  - Why this module exists, C(community.mongodb) has no Atlas cluster information module on the v2 API.
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
  name:
    description:
      - The cluster name. When omitted, every cluster of the project is returned in RV(clusters).
    type: str
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Connection string for the backend
  stackops.ecs_webstack.atlas_cluster_info:
    project_id: 64b7f0c2a1b2c3d4e5f60718
    name: webstack-dev
  register: atlas_cluster

- name: Use it
  ansible.builtin.set_fact:
    backend_mongodb_uri: "{{ atlas_cluster.connection_strings.standardSrv }}"
"""

RETURN = r"""
cluster:
  description: The cluster as Atlas reports it (without links).
  returned: when O(name) is set
  type: dict
state_name:
  description: The cluster's state (IDLE, CREATING, UPDATING, DELETING, REPAIRING).
  returned: when O(name) is set
  type: str
  sample: IDLE
connection_strings:
  description: The cluster's connection strings (C(standard), C(standardSrv), private ones when set up).
  returned: when O(name) is set
  type: dict
  sample:
    standardSrv: mongodb+srv://webstack-dev.x1y2z.mongodb.net
clusters:
  description: Every cluster of the project (name, stateName, connectionStrings, ...).
  returned: always
  type: list
  elements: dict
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


def _view(cluster):
    return dict((k, v) for k, v in cluster.items() if k != "links")


def main():
    argument_spec = atlas_argument_spec()
    argument_spec.update(
        project_id=dict(type="str", required=True),
        name=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    project_id = module.params["project_id"]
    client = client_from_module(module, project_id=project_id)
    result = dict(changed=False)
    try:
        if module.params["name"]:
            cluster = _view(client.get_cluster(project_id, module.params["name"]) or {})
            result.update(cluster=cluster, clusters=[cluster], state_name=cluster.get("stateName"),
                          connection_strings=cluster.get("connectionStrings") or {})
        else:
            result["clusters"] = [_view(c) for c in client.list_clusters(project_id)]
    except AtlasError as err:
        fail_from_error(module, err)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
