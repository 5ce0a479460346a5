#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_cluster_settings
short_description: Set an existing ECS cluster's Container Insights setting and tags, and read them back
version_added: 0.1.0
description:
  - Sets the C(containerInsights) cluster setting (C(UpdateCluster)) and the resource tags of an existing ECS
    cluster, and returns the cluster with its settings, capacity providers and tags.
  - Written because C(community.aws.ecs_cluster) manages capacity providers only (no settings, no tags, and it
    returns no tags, which the stack needs to delete only clusters it owns), and C(community.aws.ecs_tag) cannot
    read tags without changing them. Use it after C(community.aws.ecs_cluster).
  - With neither I(container_insights) nor I(tags) it only reads (the cluster may be missing).
options:
  cluster:
    description: Name or ARN of the cluster.
    type: str
    required: true
  container_insights:
    description: C(enabled), C(enhanced) or C(disabled). Omitted leaves the setting alone.
    type: str
    choices: [enabled, enhanced, disabled]
  tags:
    description: Resource tags. Omitted leaves the tags alone.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags).
    type: bool
    default: true
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Container Insights on, stack tags
  stackops.ecs_webstack.ecs_cluster_settings:
    cluster: webstack-dev
    container_insights: enabled
    tags:
      "webstack:stack": webstack
      "webstack:env": dev

- name: Read the cluster's tags before deleting it
  stackops.ecs_webstack.ecs_cluster_settings:
    cluster: webstack-dev
  register: cluster
"""

RETURN = r"""
exists:
  description: Whether the cluster exists (and is not C(INACTIVE)).
  returned: always
  type: bool
cluster:
  description: The cluster (empty when it does not exist).
  returned: always
  type: dict
  contains:
    name:
      description: Cluster name.
      type: str
    arn:
      description: Cluster ARN.
      type: str
    status:
      description: C(ACTIVE), C(PROVISIONING), ...
      type: str
    container_insights:
      description: Value of the C(containerInsights) setting, empty when unset.
      type: str
    capacity_providers:
      description: Capacity providers of the cluster.
      type: list
      elements: str
    default_capacity_provider_strategy:
      description: The default strategy (C(capacityProvider), C(weight), C(base)).
      type: list
      elements: dict
    tags:
      description: Resource tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs_cluster import settings_changes
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tags_after
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client


def describe(module, client, name):
    try:
        found = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not read ECS cluster {0}".format(name))
    clusters = [c for c in found.get("clusters", []) if c.get("status") != "INACTIVE"]
    if not clusters:
        return {}
    cluster = clusters[0]
    settings = dict((s["name"], s.get("value", "")) for s in cluster.get("settings", []) or [])
    return dict(
        name=cluster["clusterName"],
        arn=cluster["clusterArn"],
        status=cluster.get("status", ""),
        container_insights=settings.get("containerInsights", ""),
        capacity_providers=list(cluster.get("capacityProviders", []) or []),
        default_capacity_provider_strategy=list(cluster.get("defaultCapacityProviderStrategy", []) or []),
        tags=boto3_tag_list_to_ansible_dict(cluster.get("tags", []) or [], "key", "value"),
    )


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        container_insights=dict(type="str", choices=["enabled", "enhanced", "disabled"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    client = aws_client(module, "ecs")
    current = describe(module, client, params["cluster"])
    writes = params["container_insights"] is not None or params["tags"] is not None
    if not current:
        if writes:
            module.fail_json(msg="ECS cluster {0} does not exist; create it first (community.aws.ecs_cluster)".format(params["cluster"]))
        module.exit_json(changed=False, exists=False, cluster={})

    after = dict(current, tags=dict(current["tags"]))
    change_insights, to_set, to_remove = settings_changes(current, params["container_insights"], params["tags"],
                                                          params["purge_tags"])
    if change_insights:
        after["container_insights"] = params["container_insights"]
    after["tags"] = tags_after(current["tags"], to_set, to_remove)
    changed = after != current
    result = dict(changed=changed, exists=True, cluster=after)
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    if not changed or module.check_mode:
        module.exit_json(**result)
    failed = "Could not update ECS cluster {0}".format(current["name"])
    if change_insights:
        try:
            client.update_cluster(
                cluster=current["arn"], settings=[dict(name="containerInsights", value=params["container_insights"])]
            )
        except aws_errors() as err:
            module.fail_json_aws(err, msg=failed)
    ensure_tags(module, client, "ecs", current["arn"], current["tags"], params["tags"], params["purge_tags"], failed)
    result["cluster"] = describe(module, client, current["arn"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
