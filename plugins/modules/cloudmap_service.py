#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudmap_service
short_description: Manage an AWS Cloud Map DNS service (MULTIVALUE A records, custom health checks)
version_added: 0.1.0
description:
  - Creates, updates or deletes an AWS Cloud Map service in a DNS namespace, the registry an ECS service
    registers its tasks in (C(serviceRegistries)).
  - Defaults to C(MULTIVALUE) routing with C(A) records, a TTL of 10 seconds and a custom health check, so
    a DNS lookup returns up to eight healthy task IPs (single-record routing returns one task only).
  - AWS cannot change the routing policy, the record type or the custom health check setting of an existing
    service. When they differ from what is asked, the module fails and says what to do (delete the service
    and let the next run create it, or use a new name) instead of reporting success or deleting the service
    by itself. The TTL and the description are updated in place.
  - Reads an existing service with C(ListServices) filtered on the namespace (its C(ServiceSummary) carries
    everything compared - description, routing policy, records with their TTL, custom health check) and
    C(ListTagsForResource), so two reads when nothing changes and I(namespace_id) and I(namespace_name) are
    both given.
  - Written because no Ansible collection has a Cloud Map module (requests are open as
    community.aws issue 1709 and amazon.aws issue 703).
options:
  name:
    description: Service name, the first label of the DNS name (C(backend) gives C(backend.<namespace>)).
    type: str
    required: true
  namespace_id:
    description:
      - ID of the namespace. One of I(namespace_id) and I(namespace_name) is required.
      - With I(namespace_name) as well, the module trusts the pair (for example what C(cloudmap_namespace)
        returned in the same play) and reads no namespace at all; I(namespace_name) then only names the
        service's C(dns_name).
    type: str
  namespace_name:
    description:
      - Name of a private DNS namespace, for example C(webstack-dev.local).
      - Alone, the namespace is looked up by name (C(ListNamespaces)); with I(namespace_id) it is not read.
    type: str
  description:
    description: Description of the service. Omitted leaves the current description alone.
    type: str
  routing_policy:
    description: C(MULTIVALUE) answers with every healthy record (up to eight); C(WEIGHTED) with one. Fixed at creation.
    type: str
    choices: [MULTIVALUE, WEIGHTED]
    default: MULTIVALUE
  record_type:
    description: DNS record type the registered instances get. C(A) for ECS tasks in awsvpc mode. Fixed at creation.
    type: str
    choices: [A, AAAA, SRV, CNAME]
    default: A
  ttl:
    description: TTL of the records in seconds (how long a client may cache an answer). Updated in place.
    type: int
    default: 10
  health_check_custom:
    description:
      - Give the service a custom health check (C(HealthCheckCustomConfig)), so ECS reports each task's health
        and only healthy tasks are answered. Fixed at creation.
    type: bool
    default: true
  state:
    description: Whether the service should exist.
    type: str
    choices: [present, absent]
    default: present
  deregister_instances:
    description:
      - With I(state=absent), deregister instances that are still registered before deleting the service.
        Otherwise a service with instances is not deleted and the module fails naming them.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for Cloud Map operations (update, instance deregistration).
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
- name: Registry for the backend's tasks
  stackops.ecs_webstack.cloudmap_service:
    name: backend
    namespace_name: webstack-dev.local
    ttl: 10
    tags:
      "webstack:stack": webstack
  register: backend_registry

- name: The same, with the namespace cloudmap_namespace returned (no namespace read)
  stackops.ecs_webstack.cloudmap_service:
    name: backend
    namespace_id: "{{ cluster_namespace.namespace.id }}"
    namespace_name: webstack-dev.local
    ttl: 10
  register: backend_registry

- name: The ECS service registers in it
  ansible.builtin.debug:
    msg: "{{ backend_registry.service.arn }} answers as {{ backend_registry.service.dns_name }}"

- name: Remove it
  stackops.ecs_webstack.cloudmap_service:
    name: backend
    namespace_name: webstack-dev.local
    state: absent
    deregister_instances: true
"""

RETURN = r"""
service:
  description: The service (empty after I(state=absent)).
  returned: always
  type: dict
  contains:
    id:
      description: Service ID.
      type: str
      sample: srv-abcdefgh12345678
    arn:
      description: Service ARN, what an ECS service's C(serviceRegistries[].registryArn) takes.
      type: str
    name:
      description: Service name.
      type: str
    namespace_id:
      description: Namespace ID.
      type: str
    dns_name:
      description: Fully qualified DNS name, C(<name>.<namespace name>).
      type: str
      sample: backend.webstack-dev.local
    description:
      description: Description.
      type: str
    routing_policy:
      description: C(MULTIVALUE) or C(WEIGHTED).
      type: str
    record_type:
      description: DNS record type (the first record's).
      type: str
    record_types:
      description: Every DNS record type of the service, sorted.
      type: list
      elements: str
    ttl:
      description: TTL of the records.
      type: int
    health_check_custom:
      description: Whether the service has a custom health check.
      type: bool
    tags:
      description: Resource tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import cloudmap
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import ensure_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import foreign_tags
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors


def describe(module, client, service, namespace_id, namespace_name):
    """Return the service (a Service or a ServiceSummary, which has no NamespaceId) as the module reports it, or {}."""
    if not service:
        return {}
    dns = service.get("DnsConfig") or {}
    records = dns.get("DnsRecords") or [{}]
    return dict(
        id=service["Id"],
        arn=service.get("Arn", ""),
        name=service.get("Name", ""),
        namespace_id=service.get("NamespaceId") or namespace_id,
        dns_name="{0}.{1}".format(service.get("Name", ""), namespace_name.rstrip(".")),
        description=service.get("Description", "") or "",
        routing_policy=dns.get("RoutingPolicy", ""),
        record_type=records[0].get("Type", ""),
        record_types=sorted(r.get("Type", "") for r in records),
        ttl=records[0].get("TTL"),
        health_check_custom=service.get("HealthCheckCustomConfig") is not None,
        tags=cloudmap.resource_tags(module, client, service["Arn"]) if service.get("Arn") else {},
    )


def resolve_namespace(module, client):
    """Return (namespace id, namespace name); fail when the namespace does not exist."""
    params = module.params
    if params["namespace_id"] and params["namespace_name"]:
        return params["namespace_id"], params["namespace_name"]
    if params["namespace_id"]:
        namespace = cloudmap.get_namespace(module, client, params["namespace_id"])
        if namespace is None:
            if params["state"] == "absent":
                return None, None
            module.fail_json(msg="Cloud Map namespace {0} (namespace_id) does not exist".format(params["namespace_id"]))
        return namespace["Id"], namespace["Name"]
    namespace = cloudmap.find_namespace(module, client, params["namespace_name"])
    if namespace is None:
        if params["state"] == "absent":
            return None, None
        module.fail_json(
            msg="Cloud Map private DNS namespace {0} (namespace_name) does not exist; create it first "
            "(cloudmap_namespace)".format(params["namespace_name"])
        )
    return namespace["Id"], namespace["Name"]


def ensure_absent(module, client, current):
    params = module.params
    result = dict(changed=False, service={})
    if not current:
        module.exit_json(**result)
    foreign = foreign_tags(current["tags"], module.params["owner_tags"])
    if foreign:
        result["service"] = current
        result["msg"] = "{0} is not tagged for this stack (owner_tags {1} do not match): left alone".format(
            current["dns_name"], ", ".join(foreign)
        )
        module.exit_json(**result)
    instances = cloudmap.list_instances(module, client, current["id"])
    if instances and not params["deregister_instances"]:
        module.fail_json(
            msg="Cloud Map service {0} still has {1} registered instance(s) ({2}); delete the ECS service that "
            "registers them first, or set deregister_instances=true".format(
                current["dns_name"], len(instances), ", ".join(sorted(i["Id"] for i in instances))
            )
        )
    result["changed"] = True
    if module._diff:
        result["diff"] = dict(before=current, after={})
    if module.check_mode:
        module.exit_json(**result)
    for instance in instances:
        try:
            operation_id = client.deregister_instance(ServiceId=current["id"], InstanceId=instance["Id"])["OperationId"]
        except is_boto3_error_code("InstanceNotFound"):
            continue
        except aws_errors() as err:  # pylint: disable=duplicate-except
            module.fail_json_aws(err, msg="Could not deregister instance {0}".format(instance["Id"]))
        cloudmap.wait_operation(module, client, operation_id, params["wait_timeout"])
    try:
        client.delete_service(Id=current["id"])
    except is_boto3_error_code("ServiceNotFound"):
        result["changed"] = False
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not delete Cloud Map service {0}".format(current["dns_name"]))
    module.exit_json(**result)


def create(module, client, namespace_id, namespace_name):
    params = module.params
    planned = dict(
        id="",
        arn="",
        name=params["name"],
        namespace_id=namespace_id,
        dns_name="{0}.{1}".format(params["name"], namespace_name.rstrip(".")),
        description=params["description"] or "",
        routing_policy=params["routing_policy"],
        record_type=params["record_type"],
        record_types=[params["record_type"]],
        ttl=params["ttl"],
        health_check_custom=params["health_check_custom"],
        tags=params["tags"] or {},
    )
    result = dict(changed=True, service=planned)
    if module._diff:
        result["diff"] = dict(before={}, after=planned)
    if module.check_mode:
        module.exit_json(**result)
    kwargs = dict(
        Name=params["name"],
        NamespaceId=namespace_id,
        CreatorRequestId=cloudmap.request_id(),
        DnsConfig=dict(
            RoutingPolicy=params["routing_policy"],
            DnsRecords=[dict(Type=params["record_type"], TTL=params["ttl"])],
        ),
    )
    if params["description"]:
        kwargs["Description"] = params["description"]
    if params["health_check_custom"]:
        kwargs["HealthCheckCustomConfig"] = dict(FailureThreshold=1)
    if params["tags"]:
        kwargs["Tags"] = cloudmap.boto3_tags(params["tags"])
    try:
        service = client.create_service(**kwargs)["Service"]
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not create Cloud Map service {0}".format(planned["dns_name"]))
    result["service"] = describe(module, client, service, namespace_id, namespace_name)
    if module._diff:
        result["diff"]["after"] = result["service"]
    module.exit_json(**result)


def update(module, client, current, namespace_name):
    params = module.params
    problems = cloudmap.service_immutable_mismatch(current, params)
    if problems:
        module.fail_json(
            msg="Cloud Map service {0} exists with settings AWS cannot change in place ({1}). Either delete it "
            "(cloudmap_service state=absent deregister_instances=true, after removing the ECS service's "
            "serviceRegistries or the ECS service) and run again to create it with the new settings, or give the "
            "service a new name.".format(current["dns_name"], "; ".join(problems)),
            service=current,
        )
    after = cloudmap.service_after(current, params["ttl"], params["description"], params["tags"], params["purge_tags"])
    changed = after != current
    result = dict(changed=changed, service=after)
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    if not changed or module.check_mode:
        module.exit_json(**result)
    if after["ttl"] != current["ttl"] or after["description"] != current["description"]:
        # UpdateService replaces DnsRecords (and drops any it is not sent): always send them all.
        change = dict(DnsConfig=dict(DnsRecords=[dict(Type=t, TTL=params["ttl"]) for t in current["record_types"]]))
        if after["description"] != current["description"]:
            change["Description"] = after["description"]
        try:
            operation_id = client.update_service(Id=current["id"], Service=change)["OperationId"]
        except aws_errors() as err:
            module.fail_json_aws(err, msg="Could not update Cloud Map service {0}".format(current["dns_name"]))
        cloudmap.wait_operation(module, client, operation_id, params["wait_timeout"])
        result["operation_id"] = operation_id
    ensure_tags(module, client, "servicediscovery", current["arn"], current["tags"], params["tags"], params["purge_tags"],
                "Could not update the tags of {0}".format(current["arn"]))
    result["service"] = describe(
        module, client, cloudmap.get_service(module, client, current["id"]), current["namespace_id"], namespace_name
    )
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        namespace_id=dict(type="str"),
        namespace_name=dict(type="str"),
        description=dict(type="str"),
        routing_policy=dict(type="str", choices=["MULTIVALUE", "WEIGHTED"], default="MULTIVALUE"),
        record_type=dict(type="str", choices=["A", "AAAA", "SRV", "CNAME"], default="A"),
        ttl=dict(type="int", default=10),
        health_check_custom=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        deregister_instances=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        owner_tags=dict(type="dict"),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["namespace_id", "namespace_name"]],
    )
    if not 0 <= module.params["ttl"] <= 2147483647:
        module.fail_json(msg="ttl must be between 0 and 2147483647 seconds, got {0}".format(module.params["ttl"]))
    client = cloudmap.cloudmap_client(module)
    namespace_id, namespace_name = resolve_namespace(module, client)
    if namespace_id is None:
        module.exit_json(changed=False, service={})
    summary = cloudmap.find_service_summary(module, client, namespace_id, module.params["name"])
    current = describe(module, client, summary, namespace_id, namespace_name)
    if module.params["state"] == "absent":
        ensure_absent(module, client, current)
    elif not current:
        create(module, client, namespace_id, namespace_name)
    else:
        update(module, client, current, namespace_name)


if __name__ == "__main__":
    main()
