#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ecs_image_rollout
short_description: Roll a new image out to a running ECS service, touching nothing else
version_added: 0.1.0
description:
  - The everyday deploy. Reads the service's current task definition, registers a new revision that
    differs only in one container's image, points the service at it and waits until the rollout is done.
  - When the container already runs that image nothing changes (no revision, no update).
  - When the deployment circuit breaker rolls the service back, or the rollout fails or times out, the
    module fails with the service's recent events.
  - Used by C(playbooks/update_image.yml) so that a new image tag does not walk the whole stack.
    C(community.aws.ecs_taskdefinition) needs the whole definition restated and C(community.aws.ecs_service)
    does not wait for a rollout or report a circuit-breaker rollback, hence this module.
options:
  cluster:
    description: Cluster name or ARN.
    type: str
    required: true
  service:
    description: Service name.
    type: str
    required: true
  container_name:
    description: Container whose image changes; the first container when omitted.
    type: str
  image:
    description: The image to run, preferably pinned by digest (C(repository@sha256:...)).
    type: str
    required: true
  wait:
    description: Wait for the rollout to finish.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the rollout.
    type: int
    default: 600
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the newly pushed backend image
  stackops.ecs_webstack.ecs_image_rollout:
    cluster: webstack-dev
    service: backend
    image: "{{ ecr_image_uris.backend }}"
"""

RETURN = r"""
task_definition_arn:
  description: The revision the service runs afterwards (the new one when changed).
  returned: always
  type: str
previous_task_definition_arn:
  description: The revision the service ran before.
  returned: always
  type: str
image:
  description: The container's image afterwards.
  returned: always
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs_taskdefinition import registrable
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs import wait_for_rollout
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import client as aws_client

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def main():
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True),
        container_name=dict(type="str"),
        image=dict(type="str", required=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = aws_client(module, "ecs")
    cluster, name, image = module.params["cluster"], module.params["service"], module.params["image"]
    not_deployed = "Service {0} is not running in cluster {1}: run playbooks/deploy.yml once before image-only updates.".format(name, cluster)
    try:
        found = client.describe_services(cluster=cluster, services=[name])
    except is_boto3_error_code("ClusterNotFoundException"):
        module.fail_json(msg=not_deployed)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read service {0} in cluster {1}".format(name, cluster))
    services = [s for s in found.get("services", []) if s.get("status") == "ACTIVE"]
    if not services:
        module.fail_json(msg=not_deployed)
    try:
        current_arn = services[0]["taskDefinition"]
        described = client.describe_task_definition(taskDefinition=current_arn, include=["TAGS"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read service {0} in cluster {1}".format(name, cluster))

    definition = registrable(described["taskDefinition"])
    containers = definition["containerDefinitions"]
    wanted = module.params["container_name"] or containers[0]["name"]
    matching = [c for c in containers if c["name"] == wanted]
    if not matching:
        module.fail_json(
            msg="container_name {0} is not in {1}; its containers are: {2}.".format(
                wanted, current_arn, ", ".join(c["name"] for c in containers)
            )
        )
    before_image = matching[0]["image"]
    result = dict(changed=False, task_definition_arn=current_arn, previous_task_definition_arn=current_arn, image=before_image)
    if before_image == image:
        module.exit_json(**result)

    result.update(changed=True, image=image, diff=dict(before=dict(image=before_image), after=dict(image=image)))
    if module.check_mode:
        module.exit_json(**result)
    matching[0]["image"] = image
    tags = described.get("tags") or []
    try:
        registered = client.register_task_definition(**dict(definition, **({"tags": tags} if tags else {})))
        new_arn = registered["taskDefinition"]["taskDefinitionArn"]
        client.update_service(cluster=cluster, service=name, taskDefinition=new_arn)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not roll image {0} out to service {1}".format(image, name))
    result["task_definition_arn"] = new_arn
    if module.params["wait"]:
        wait_for_rollout(module, client, cluster, name, new_arn, module.params["wait_timeout"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
