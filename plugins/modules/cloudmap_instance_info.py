#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudmap_instance_info
short_description: List the instances registered in an AWS Cloud Map service, with their health and IPs
version_added: 0.1.0
description:
  - I(mode=list) reads every registered instance (C(ListInstances)) and its health
    (C(GetInstancesHealthStatus)), that is what ECS registered, healthy or not.
  - I(mode=discover) asks C(DiscoverInstances) with a health filter, which is what a client resolving the
    service name is answered (only healthy instances by default).
  - Against an endpoint override (a local emulator) C(DiscoverInstances) is sent without botocore's
    C(data-) host prefix, which only exists on AWS's own endpoints.
  - With I(service_id), I(service_name) and I(namespace_name) all given (what C(cloudmap_service) returned in
    the same play), the module reads no service or namespace, and I(mode=list) costs two reads
    (C(GetInstancesHealthStatus), C(ListInstances)). I(service_id) alone costs C(GetService) and
    C(GetNamespace) more, I(service_name) with I(namespace_name) C(ListNamespaces) and C(ListServices).
  - Written because no Ansible collection has a Cloud Map module (requests are open as
    community.aws issue 1709 and amazon.aws issue 703).
options:
  service_id:
    description:
      - ID of the service. Either I(service_id) or I(service_name) with I(namespace_name) is required.
      - Given with I(service_name) and I(namespace_name), those two are trusted and only name the result.
    type: str
  service_name:
    description: Name of the service, for example C(backend).
    type: str
  namespace_name:
    description: Name of the private DNS namespace the service is in, for example C(webstack-dev.local).
    type: str
  mode:
    description: C(list) (every registered instance with its health) or C(discover) (what a lookup is answered).
    type: str
    choices: [list, discover]
    default: list
  health_status:
    description: With I(mode=discover), which instances to return.
    type: str
    choices: [HEALTHY, UNHEALTHY, ALL, HEALTHY_OR_ELSE_ALL]
    default: HEALTHY
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which backend tasks are registered, and are they healthy?
  stackops.ecs_webstack.cloudmap_instance_info:
    service_name: backend
    namespace_name: webstack-dev.local
  register: backend_instances

- name: What a lookup of backend.webstack-dev.local is answered
  stackops.ecs_webstack.cloudmap_instance_info:
    service_name: backend
    namespace_name: webstack-dev.local
    mode: discover
  register: backend_healthy

- name: Which backend tasks are registered, from what cloudmap_service returned (no service or namespace read)
  stackops.ecs_webstack.cloudmap_instance_info:
    service_id: "{{ backend_registry.service.id }}"
    service_name: backend
    namespace_name: webstack-dev.local
  register: backend_instances

- name: At least two healthy backend tasks
  ansible.builtin.assert:
    that: backend_healthy.ips | length >= 2
"""

RETURN = r"""
service_exists:
  description: Whether the service (and its namespace) exists.
  returned: always
  type: bool
service:
  description: The service that was read.
  returned: always
  type: dict
  contains:
    id:
      description: Service ID (empty when it does not exist).
      type: str
    name:
      description: Service name.
      type: str
    namespace_name:
      description: Namespace name.
      type: str
    dns_name:
      description: C(<service name>.<namespace name>).
      type: str
instances:
  description: The instances.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Instance ID (the ECS task ID for ECS-registered tasks).
      type: str
    ipv4:
      description: C(AWS_INSTANCE_IPV4) attribute, empty when absent.
      type: str
    ipv6:
      description: C(AWS_INSTANCE_IPV6) attribute, empty when absent.
      type: str
    port:
      description: C(AWS_INSTANCE_PORT) attribute, empty when absent.
      type: str
    health:
      description: C(HEALTHY), C(UNHEALTHY) or C(UNKNOWN).
      type: str
    attributes:
      description: Every attribute of the instance.
      type: dict
ips:
  description: IPv4 addresses of the returned instances, sorted.
  returned: always
  type: list
  elements: str
healthy_ips:
  description: IPv4 addresses of the returned instances whose health is C(HEALTHY), sorted.
  returned: always
  type: list
  elements: str
count:
  description: Number of instances returned.
  returned: always
  type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import cloudmap

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def _instance(instance_id, attributes, health):
    attributes = attributes or {}
    return dict(
        id=instance_id,
        ipv4=attributes.get("AWS_INSTANCE_IPV4", ""),
        ipv6=attributes.get("AWS_INSTANCE_IPV6", ""),
        port=attributes.get("AWS_INSTANCE_PORT", ""),
        health=health or "UNKNOWN",
        attributes=attributes,
    )


def locate(module, client):
    """Return (service id, service name, namespace name), with None for the id when it does not exist."""
    params = module.params
    if params["service_id"] and params["service_name"]:
        # Known from earlier in the play; a service that has gone since shows in list_mode.
        return params["service_id"], params["service_name"], params["namespace_name"]
    if params["service_id"]:
        service = cloudmap.get_service(module, client, params["service_id"])
        if service is None:
            return None, "", ""
        namespace = cloudmap.get_namespace(module, client, service["NamespaceId"]) or {}
        return service["Id"], service["Name"], namespace.get("Name", "")
    namespace = cloudmap.find_namespace(module, client, params["namespace_name"])
    if namespace is None:
        return None, params["service_name"], params["namespace_name"]
    service = cloudmap.find_service(module, client, namespace["Id"], params["service_name"])
    return (service or {}).get("Id"), params["service_name"], namespace["Name"]


def list_mode(module, client, service_id):
    """Return the instances with their health, or None when the service does not exist."""
    health = cloudmap.instances_health(module, client, service_id)
    if health is None:
        return None
    return [
        _instance(i["Id"], i.get("Attributes"), health.get(i["Id"])) for i in cloudmap.list_instances(module, client, service_id)
    ]


def discover_mode(module, service_name, namespace_name):
    client = cloudmap.cloudmap_client(module, discovery=True)
    try:
        found = client.discover_instances(
            NamespaceName=namespace_name, ServiceName=service_name, HealthStatus=module.params["health_status"]
        )
    except is_boto3_error_code(["NamespaceNotFound", "ServiceNotFound"]):
        return []
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not discover instances of {0}.{1}".format(service_name, namespace_name))
    return [_instance(i["InstanceId"], i.get("Attributes"), i.get("HealthStatus")) for i in found.get("Instances", [])]


def main():
    argument_spec = dict(
        service_id=dict(type="str"),
        service_name=dict(type="str"),
        namespace_name=dict(type="str"),
        mode=dict(type="str", choices=["list", "discover"], default="list"),
        health_status=dict(type="str", choices=["HEALTHY", "UNHEALTHY", "ALL", "HEALTHY_OR_ELSE_ALL"], default="HEALTHY"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["service_id", "service_name"]],
        required_by=dict(service_name=["namespace_name"]),
    )
    client = cloudmap.cloudmap_client(module)
    service_id, service_name, namespace_name = locate(module, client)
    result = dict(
        changed=False,
        service_exists=service_id is not None,
        service=dict(
            id=service_id or "",
            name=service_name,
            namespace_name=namespace_name,
            dns_name="{0}.{1}".format(service_name, namespace_name.rstrip(".")) if namespace_name else service_name,
        ),
        instances=[],
    )
    if service_id is not None:
        if module.params["mode"] == "discover":
            result["instances"] = discover_mode(module, service_name, namespace_name)
        else:
            instances = list_mode(module, client, service_id)
            result["service_exists"] = instances is not None
            result["instances"] = instances or []
    result["ips"] = sorted(i["ipv4"] for i in result["instances"] if i["ipv4"])
    result["healthy_ips"] = sorted(i["ipv4"] for i in result["instances"] if i["ipv4"] and i["health"] == "HEALTHY")
    result["count"] = len(result["instances"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
