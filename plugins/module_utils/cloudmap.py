# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared AWS Cloud Map (servicediscovery) code for the collection's cloudmap_* modules.

One client factory (``cloudmap_client``), lookups that filter on the client side as well as on
the server (a filter the endpoint ignores must not return someone else's namespace), an
operation waiter, and the comparisons of a namespace and a service with the ones wanted
(namespace_after, service_after, service_immutable_mismatch); tags are written with aws_common's
ensure_tags. Callers own the module; every error goes through ``fail_json_aws``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tag_diff
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tags_after

try:
    from botocore.config import Config
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def endpoint_override(module):
    """The endpoint the client will use when it is not AWS's own (module option or environment)."""
    return (
        module.params.get("endpoint_url")
        or os.environ.get("AWS_ENDPOINT_URL_SERVICEDISCOVERY")
        or os.environ.get("AWS_ENDPOINT_URL")
    )


def cloudmap_client(module, discovery=False):
    """Return the servicediscovery client (retries with jittered backoff).

    ``discovery=True`` is for DiscoverInstances, whose requests botocore sends to the host
    ``data-servicediscovery.<region>.amazonaws.com`` (a host prefix from the service model).
    Against an endpoint override (a local emulator, a VPC endpoint) that prefix produces a host
    that does not exist (``data-127.0.0.1``), so host prefix injection is turned off there and
    only there; against AWS the prefix is required.
    """
    config = Config(inject_host_prefix=False) if discovery and endpoint_override(module) else None
    return aws_client(module, "servicediscovery", config=config)


def request_id():
    return str(uuid.uuid4())


def paginate(module, client, method, key, what, **kwargs):
    items = []
    try:
        paginator = client.get_paginator(method)
        for page in paginator.paginate(**kwargs):
            items.extend(page.get(key, []))
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not list {0}".format(what))
    return items


def find_namespace(module, client, name, ns_type="DNS_PRIVATE"):
    """Return the namespace summary named ``name`` (of ``ns_type``), or None.

    The server filters on type and name (one short page however many namespaces the account has). The
    summary carries Id, Arn, Name, Type, Description and Properties (DnsProperties.HostedZoneId), so a
    caller that needs no more can skip GetNamespace. The name is compared here as well: an endpoint that
    ignores Filters (moto does) lists them all.
    """
    wanted = name.rstrip(".")
    found = paginate(
        module,
        client,
        "list_namespaces",
        "Namespaces",
        "Cloud Map namespaces",
        Filters=[
            {"Name": "TYPE", "Values": [ns_type], "Condition": "EQ"},
            {"Name": "NAME", "Values": [wanted], "Condition": "EQ"},
        ],
    )
    for namespace in found:
        if namespace.get("Name", "").rstrip(".") == wanted and namespace.get("Type", ns_type) == ns_type:
            return namespace
    return None


def get_namespace(module, client, namespace_id):
    """Return the full namespace description, or None when it does not exist."""
    try:
        return client.get_namespace(Id=namespace_id)["Namespace"]
    except is_boto3_error_code("NamespaceNotFound"):
        return None
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read Cloud Map namespace {0}".format(namespace_id))


def list_services(module, client, namespace_id):
    """Return the summaries of the services in a namespace."""
    found = paginate(
        module,
        client,
        "list_services",
        "Services",
        "Cloud Map services",
        Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}],
    )
    # Filter here as well: an endpoint that ignores Filters must not leak other namespaces' services.
    return [s for s in found if s.get("NamespaceId", namespace_id) == namespace_id]


def find_service(module, client, namespace_id, name):
    """Return the full description of service ``name`` in a namespace, or None."""
    for summary in list_services(module, client, namespace_id):
        if summary.get("Name") != name:
            continue
        service = get_service(module, client, summary["Id"])
        if service is not None and service.get("NamespaceId", namespace_id) == namespace_id:
            return service
    return None


def find_service_summary(module, client, namespace_id, name):
    """Return the ServiceSummary of service ``name`` in a namespace (one ListServices call), or None.

    A summary carries Id, Arn, Name, Description, DnsConfig, HealthCheckConfig and
    HealthCheckCustomConfig, but no NamespaceId: callers that need nothing else save a GetService.
    The NAMESPACE_ID filter is trusted here, as on AWS; a summary that does name another namespace is
    still skipped.
    """
    for summary in list_services(module, client, namespace_id):
        if summary.get("Name") == name:
            return summary
    return None


def get_service(module, client, service_id):
    try:
        return client.get_service(Id=service_id)["Service"]
    except is_boto3_error_code("ServiceNotFound"):
        return None
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read Cloud Map service {0}".format(service_id))


def list_instances(module, client, service_id):
    return paginate(
        module, client, "list_instances", "Instances", "instances of Cloud Map service " + service_id, ServiceId=service_id
    )


def instances_health(module, client, service_id):
    """Return {instance id: HEALTHY|UNHEALTHY|UNKNOWN}, or None when the service does not exist."""
    health = {}
    kwargs = dict(ServiceId=service_id)
    try:
        while True:
            page = client.get_instances_health_status(**kwargs)
            health.update(page.get("Status", {}) or {})
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    except is_boto3_error_code("InstanceNotFound"):
        return health
    except is_boto3_error_code("ServiceNotFound"):  # pylint: disable=duplicate-except
        return None
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read the health of Cloud Map service {0}".format(service_id))
    return health


def wait_operation(module, client, operation_id, timeout=300, delay=2):
    """Wait until a Cloud Map operation succeeds; fail the module when it fails or times out."""
    deadline = time.time() + timeout
    while True:
        try:
            operation = client.get_operation(OperationId=operation_id)["Operation"]
        except aws_errors() as err:
            module.fail_json_aws(err, msg="Could not read Cloud Map operation {0}".format(operation_id))
        status = operation.get("Status")
        if status == "SUCCESS":
            return operation
        if status == "FAIL":
            module.fail_json(
                msg="Cloud Map operation {0} ({1}) failed: {2} {3}".format(
                    operation_id, operation.get("Type"), operation.get("ErrorCode", ""), operation.get("ErrorMessage", "")
                ),
                operation=operation,
            )
        if time.time() >= deadline:
            module.fail_json(
                msg="Cloud Map operation {0} still {1} after {2}s; raise wait_timeout or check it with "
                "'aws servicediscovery get-operation --operation-id {0}'".format(operation_id, status, timeout),
                operation=operation,
            )
        time.sleep(delay)


def resource_tags(module, client, arn):
    try:
        tags = client.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not read the tags of {0}".format(arn))
    return boto3_tag_list_to_ansible_dict(tags, "Key", "Value")


def boto3_tags(tags):
    return ansible_dict_to_boto3_tag_list(tags or {}, "Key", "Value")


def namespace_after(current, description, tags, purge_tags):
    """The namespace (as cloudmap_namespace describes it) once the description and tags are as wanted
    (None leaves either alone): the one comparison, ``after != current`` means an update is due."""
    to_set, to_remove = tag_diff(current["tags"], tags, purge_tags)
    after = dict(current)
    if description is not None and description != current["description"]:
        after["description"] = description
    if to_set or to_remove:
        after["tags"] = tags_after(current["tags"], to_set, to_remove)
    return after


def service_after(current, ttl, description, tags, purge_tags):
    """The Cloud Map service (as cloudmap_service describes it) once its TTL, description and tags are as
    wanted (None leaves the description or the tags alone): ``after != current`` means an update is due.
    What cannot change in place is service_immutable_mismatch's."""
    after = dict(current)
    if current["ttl"] != ttl:
        after["ttl"] = ttl
    if description is not None and description != current["description"]:
        after["description"] = description
    to_set, to_remove = tag_diff(current["tags"], tags, purge_tags)
    if to_set or to_remove:
        after["tags"] = tags_after(current["tags"], to_set, to_remove)
    return after


def service_immutable_mismatch(current, params):
    """The one check of what a Cloud Map service cannot change in place: a list of 'setting: current -> wanted' for what AWS cannot change in place."""
    problems = []
    if current["routing_policy"] and current["routing_policy"] != params["routing_policy"]:
        problems.append("routing_policy: {0} -> {1}".format(current["routing_policy"], params["routing_policy"]))
    if current["record_types"] != [params["record_type"]]:
        problems.append("record_type: {0} -> {1}".format(",".join(current["record_types"]) or "none", params["record_type"]))
    if current["health_check_custom"] != params["health_check_custom"]:
        problems.append(
            "health_check_custom: {0} -> {1}".format(current["health_check_custom"], params["health_check_custom"])
        )
    return problems
