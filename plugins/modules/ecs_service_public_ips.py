#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ecs_service_public_ips
short_description: Public IPs of an ECS service's running tasks
version_added: 0.1.0
description:
  - Lists the C(RUNNING) tasks of an ECS service, finds each task's elastic network interface (awsvpc) and
    returns the interface's public IP; a task without one (host network mode on EC2) answers on its container
    instance's addresses, which are returned instead.
  - Used by the C(atlas_access) role in C(task_ips) mode to admit exactly the backend's egress addresses
    on the MongoDB Atlas access list.
  - Why this module exists, C(community.aws.ecs_task) and C(community.aws.ecs_service_info) return tasks
    and services but not the public IP, which lives on the ENI (EC2 C(DescribeNetworkInterfaces)).
  - Read-only, so check mode is safe.
author:
  - ecs_webstack contributors (@stackops)
options:
  cluster:
    description:
      - ECS cluster name or ARN.
    type: str
    required: true
  service:
    description:
      - ECS service name or ARN.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Egress addresses of the backend tasks
  stackops.ecs_webstack.ecs_service_public_ips:
    cluster: webstack-dev
    service: backend
  register: backend_ips

- name: Show them
  ansible.builtin.debug:
    var: backend_ips.public_ips
"""

RETURN = r"""
public_ips:
  description: Sorted, unique public IPv4 addresses of the running tasks.
  returned: always
  type: list
  elements: str
  sample: ["203.0.113.10", "203.0.113.11"]
tasks:
  description: One item per running task.
  returned: always
  type: list
  elements: dict
  contains:
    task_arn:
      description: The task ARN.
      type: str
    last_status:
      description: The task's last status (always C(RUNNING) here).
      type: str
    eni_id:
      description: The task's elastic network interface.
      type: str
    private_ip:
      description: The task's (in host mode, its instance's) private IPv4 address.
      type: str
    public_ip:
      description: The ENI's (or, in host mode, the instance's) public IPv4 address; null when it has none.
      type: str
    instance_id:
      description: The EC2 instance of a task in host network mode (null for awsvpc tasks).
      type: str
service_found:
  description: False when the cluster or the service does not exist (then no tasks are returned).
  returned: always
  type: bool
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client


def _eni_of(task):
    for attachment in task.get("attachments") or []:
        if attachment.get("type") != "ElasticNetworkInterface":
            continue
        details = dict((d.get("name"), d.get("value")) for d in attachment.get("details") or [])
        if details.get("networkInterfaceId"):
            return details["networkInterfaceId"], details.get("privateIPv4Address")
    return None, None


def running_tasks(ecs, cluster, service):
    """RUNNING tasks of the service; None when the cluster or service does not exist."""
    arns = []
    try:
        paginator = ecs.get_paginator("list_tasks")
        for page in paginator.paginate(cluster=cluster, serviceName=service, desiredStatus="RUNNING"):
            arns.extend(page.get("taskArns") or [])
    except is_boto3_error_code(["ServiceNotFoundException", "ClusterNotFoundException"]):
        return None
    tasks = []
    for start in range(0, len(arns), 100):
        described = ecs.describe_tasks(cluster=cluster, tasks=arns[start:start + 100])
        tasks.extend(t for t in described.get("tasks") or [] if t.get("lastStatus") == "RUNNING")
    return tasks


def public_ips(ec2, eni_ids):
    """ENI id -> public IP (None without one). ENIs that are already gone are skipped."""
    found = {}
    if not eni_ids:
        return found
    try:
        answers = ec2.describe_network_interfaces(NetworkInterfaceIds=list(eni_ids))["NetworkInterfaces"]
    except is_boto3_error_code("InvalidNetworkInterfaceID.NotFound"):
        answers = []
        for eni in eni_ids:  # one went away between the two calls: ask one by one
            try:
                answers.extend(ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"])
            except is_boto3_error_code("InvalidNetworkInterfaceID.NotFound"):
                continue
    for eni in answers:
        found[eni["NetworkInterfaceId"]] = (eni.get("Association") or {}).get("PublicIp")
    return found


def instance_ips(ecs, ec2, cluster, container_instance_arns):
    """Container instance ARN -> (EC2 instance id, private IP, public IP), for tasks in host network mode."""
    if not container_instance_arns:
        return {}
    described = ecs.describe_container_instances(cluster=cluster, containerInstances=list(container_instance_arns))
    by_instance = dict((ci["ec2InstanceId"], ci["containerInstanceArn"])
                       for ci in described.get("containerInstances") or [] if ci.get("ec2InstanceId"))
    found = {}
    if not by_instance:
        return found
    for reservation in ec2.describe_instances(InstanceIds=sorted(by_instance))["Reservations"]:
        for instance in reservation.get("Instances") or []:
            found[by_instance[instance["InstanceId"]]] = (
                instance["InstanceId"], instance.get("PrivateIpAddress"), instance.get("PublicIpAddress"))
    return found


def collect(ecs, ec2, cluster, service):
    tasks = running_tasks(ecs, cluster, service)
    if tasks is None:
        return dict(service_found=False, tasks=[], public_ips=[])
    rows = []
    for task in tasks:
        eni, private_ip = _eni_of(task)
        rows.append(dict(task_arn=task.get("taskArn"), last_status=task.get("lastStatus"), eni_id=eni,
                         private_ip=private_ip, public_ip=None, instance_id=None,
                         container_instance_arn=None if eni else task.get("containerInstanceArn")))
    ips = public_ips(ec2, sorted(set(r["eni_id"] for r in rows if r["eni_id"])))
    # Tasks without a network interface of their own (host network mode on EC2) answer on their instance's address.
    hosts = instance_ips(ecs, ec2, cluster, sorted(set(r["container_instance_arn"] for r in rows if r["container_instance_arn"])))
    for row in rows:
        if row["eni_id"]:
            row["public_ip"] = ips.get(row["eni_id"])
        elif row["container_instance_arn"] in hosts:
            row["instance_id"], row["private_ip"], row["public_ip"] = hosts[row["container_instance_arn"]]
        row.pop("container_instance_arn")
    return dict(service_found=True, tasks=rows,
                public_ips=sorted(set(r["public_ip"] for r in rows if r["public_ip"])))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(cluster=dict(type="str", required=True), service=dict(type="str", required=True)),
        supports_check_mode=True,
    )
    ecs = aws_client(module, "ecs")
    ec2 = aws_client(module, "ec2")
    try:
        result = collect(ecs, ec2, module.params["cluster"], module.params["service"])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as err:
        module.fail_json_aws(err, msg="Cannot read the tasks of service %s in cluster %s"
                             % (module.params["service"], module.params["cluster"]))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
