#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudmap_namespace
short_description: Manage an AWS Cloud Map private DNS namespace tied to a VPC
version_added: 0.1.0
description:
  - Creates, updates (description, tags) or deletes an AWS Cloud Map (service discovery) private DNS
    namespace such as C(webstack-dev.local), associated with one VPC, and waits for the Cloud Map
    operation to finish.
  - Written because no Ansible collection has a Cloud Map module (requests are open as
    community.aws issue 1709 and amazon.aws issue 703).
  - The namespace name and its VPC cannot change after creation; the VPC of an existing namespace is not
    compared (AWS only shows it on the namespace's Route 53 hosted zone). To move a namespace, delete it and
    create it again.
  - With I(state=absent) the namespace must not contain services any more; the module fails naming them.
  - An unchanged namespace costs two reads, C(ListNamespaces) filtered by type and name (its summary has the
    description and hosted zone) and C(ListTagsForResource).
options:
  name:
    description: DNS name of the namespace, for example C(webstack-dev.local).
    type: str
    required: true
  vpc_id:
    description: ID of the VPC the namespace answers in. Required to create the namespace.
    type: str
  description:
    description: Description of the namespace. Omitted leaves the current description alone.
    type: str
  state:
    description: Whether the namespace should exist.
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    description: Seconds to wait for the create, update or delete operation to finish.
    type: int
    default: 300
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - stackops.ecs_webstack.stack_tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The stack's private DNS namespace
  stackops.ecs_webstack.cloudmap_namespace:
    name: webstack-dev.local
    vpc_id: "{{ network_vpc_id }}"
    description: Service discovery for webstack-dev
    tags:
      "webstack:stack": webstack
      "webstack:env": dev
  register: namespace

- name: Remove it (after its services)
  stackops.ecs_webstack.cloudmap_namespace:
    name: webstack-dev.local
    state: absent
"""

RETURN = r"""
namespace:
  description: The namespace (empty after I(state=absent)).
  returned: always
  type: dict
  contains:
    id:
      description: Namespace ID.
      type: str
      sample: ns-abcdefgh12345678
    arn:
      description: Namespace ARN.
      type: str
    name:
      description: Namespace name.
      type: str
      sample: webstack-dev.local
    type:
      description: C(DNS_PRIVATE).
      type: str
    description:
      description: Description.
      type: str
    hosted_zone_id:
      description: The Route 53 private hosted zone Cloud Map created for the namespace.
      type: str
    tags:
      description: Resource tags.
      type: dict
operation_id:
  description: The Cloud Map operation the module waited for, when it changed something.
  returned: when changed and not in check mode
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import cloudmap
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import foreign_tags

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def describe(module, client, summary):
    """Return the namespace as the module reports it, or {}.

    A ListNamespaces summary (it has an Arn) already holds every field the module reports and
    compares (description, hosted zone), so only an ID alone, after a create or an update, costs
    a GetNamespace.
    """
    if not summary:
        return {}
    full = summary if summary.get("Arn") else (cloudmap.get_namespace(module, client, summary["Id"]) or summary)
    dns = (full.get("Properties") or {}).get("DnsProperties") or {}
    return dict(
        id=full["Id"],
        arn=full.get("Arn", ""),
        name=full.get("Name", ""),
        type=full.get("Type", ""),
        description=full.get("Description", "") or "",
        hosted_zone_id=dns.get("HostedZoneId", "") or "",
        tags=cloudmap.resource_tags(module, client, full["Arn"]) if full.get("Arn") else {},
    )


def ensure_absent(module, client, current):
    result = dict(changed=False, namespace={})
    if not current:
        module.exit_json(**result)
    foreign = foreign_tags(current["tags"], module.params["owner_tags"])
    if foreign:
        result["namespace"] = current
        result["msg"] = "{0} is not tagged for this stack (owner_tags {1} do not match): left alone".format(
            current["name"], ", ".join(foreign)
        )
        module.exit_json(**result)
    services = [s["Name"] for s in cloudmap.list_services(module, client, current["id"])]
    # In check mode the tasks before this one (cloudmap_service state=absent) only said they would delete
    # the services: report what the run would do instead of failing on what it has not done.
    if services and module.check_mode:
        result.update(changed=True, msg="would delete {0} once its services ({1}) are gone".format(
            current["name"], ", ".join(sorted(services))))
        module.exit_json(**result)
    if services:
        module.fail_json(
            msg="Cloud Map namespace {0} still has services ({1}); delete them first "
            "(cloudmap_service state=absent, after the ECS services that register in them).".format(
                current["name"], ", ".join(sorted(services))
            )
        )
    result["changed"] = True
    if module._diff:
        result["diff"] = dict(before=current, after={})
    if module.check_mode:
        module.exit_json(**result)
    try:
        operation_id = client.delete_namespace(Id=current["id"])["OperationId"]
    except is_boto3_error_code("NamespaceNotFound"):
        result["changed"] = False
        module.exit_json(**result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not delete Cloud Map namespace {0}".format(current["name"]))
    cloudmap.wait_operation(module, client, operation_id, module.params["wait_timeout"])
    result["operation_id"] = operation_id
    module.exit_json(**result)


def create(module, client):
    params = module.params
    if not params["vpc_id"]:
        module.fail_json(msg="vpc_id is required to create Cloud Map namespace {0}".format(params["name"]))
    planned = dict(
        id="",
        arn="",
        name=params["name"],
        type="DNS_PRIVATE",
        description=params["description"] or "",
        hosted_zone_id="",
        tags=params["tags"] or {},
    )
    result = dict(changed=True, namespace=planned)
    if module._diff:
        result["diff"] = dict(before={}, after=planned)
    if module.check_mode:
        module.exit_json(**result)
    kwargs = dict(Name=params["name"], Vpc=params["vpc_id"], CreatorRequestId=cloudmap.request_id())
    if params["description"]:
        kwargs["Description"] = params["description"]
    if params["tags"]:
        kwargs["Tags"] = cloudmap.boto3_tags(params["tags"])
    try:
        operation_id = client.create_private_dns_namespace(**kwargs)["OperationId"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not create Cloud Map namespace {0}".format(params["name"]))
    operation = cloudmap.wait_operation(module, client, operation_id, params["wait_timeout"])
    namespace_id = (operation.get("Targets") or {}).get("NAMESPACE")
    summary = {"Id": namespace_id} if namespace_id else cloudmap.find_namespace(module, client, params["name"])
    result["namespace"] = describe(module, client, summary)
    result["operation_id"] = operation_id
    if module._diff:
        result["diff"]["after"] = result["namespace"]
    module.exit_json(**result)


def update(module, client, current):
    params = module.params
    wanted_description = params["description"]
    after = cloudmap.namespace_after(current, wanted_description, params["tags"], params["purge_tags"])
    change_description = after["description"] != current["description"]
    changed = after != current
    result = dict(changed=changed, namespace=after)
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    if not changed or module.check_mode:
        module.exit_json(**result)
    if change_description:
        try:
            operation_id = client.update_private_dns_namespace(
                Id=current["id"], UpdaterRequestId=cloudmap.request_id(), Namespace={"Description": wanted_description}
            )["OperationId"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg="Could not update Cloud Map namespace {0}".format(current["name"]))
        cloudmap.wait_operation(module, client, operation_id, params["wait_timeout"])
        result["operation_id"] = operation_id
    ensure_tags(module, client, "servicediscovery", current["arn"], current["tags"], params["tags"], params["purge_tags"],
                "Could not update the tags of {0}".format(current["arn"]))
    result["namespace"] = describe(module, client, {"Id": current["id"]})
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        vpc_id=dict(type="str"),
        description=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        owner_tags=dict(type="dict"),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = cloudmap.cloudmap_client(module)
    current = describe(module, client, cloudmap.find_namespace(module, client, module.params["name"]))
    if module.params["state"] == "absent":
        ensure_absent(module, client, current)
    elif not current:
        create(module, client)
    else:
        update(module, client, current)


if __name__ == "__main__":
    main()
