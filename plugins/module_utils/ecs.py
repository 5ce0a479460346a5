# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS services: the fields ecs_service_deploy manages in one normal form, their one comparison, the
requests that create and update a service, and the one rollout wait.

``wanted_fields(params)`` turns module parameters into the API's shape, ``current_fields(service)``
reads the same fields from DescribeServices, and ``field_changes`` compares them (the comparator for
"does the ECS service need an update?"), so the module updates exactly what differs (and the unit
tests can check each field without AWS). ``poll_rollout`` is the wait both ecs_service_deploy and
ecs_image_rollout use (through ``wait_for_rollout`` for the latter).
Task definitions are in ecs_taskdefinition.py, Application Auto Scaling in autoscaling.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors

# Fields UpdateService can change in place (the rest need a new service).
UPDATABLE = (
    "taskDefinition",
    "desiredCount",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "networkConfiguration",
    "serviceRegistries",
    "loadBalancers",
    "healthCheckGracePeriodSeconds",
    "propagateTags",
    "enableExecuteCommand",
    "platformVersion",
)


def _strategy(items):
    return sorted(
        (dict(capacityProvider=i["capacityProvider"], weight=int(i.get("weight") or 0), base=int(i.get("base") or 0)) for i in items or []),
        key=lambda i: i["capacityProvider"],
    )


def _registries(items):
    out = []
    for item in items or []:
        entry = dict(registryArn=item["registryArn"])
        for key in ("containerName", "containerPort", "port"):
            if item.get(key) not in (None, ""):
                entry[key] = item[key]
        out.append(entry)
    return sorted(out, key=lambda i: i["registryArn"])


def _load_balancers(items):
    out = []
    for item in items or []:
        entry = dict((k, item[k]) for k in ("targetGroupArn", "loadBalancerName", "containerName", "containerPort") if item.get(k))
        out.append(entry)
    return sorted(out, key=lambda i: (i.get("targetGroupArn", ""), i.get("containerName", ""), i.get("containerPort", 0)))


def _network(config):
    vpc = (config or {}).get("awsvpcConfiguration") or {}
    if not vpc:
        return {}
    return dict(
        awsvpcConfiguration=dict(
            subnets=sorted(vpc.get("subnets") or []),
            securityGroups=sorted(vpc.get("securityGroups") or []),
            assignPublicIp=vpc.get("assignPublicIp") or "DISABLED",
        )
    )


def _deployment(config):
    config = config or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    return dict(
        minimumHealthyPercent=config.get("minimumHealthyPercent"),
        maximumPercent=config.get("maximumPercent"),
        deploymentCircuitBreaker=dict(enable=bool(breaker.get("enable")), rollback=bool(breaker.get("rollback"))),
    )


def wanted_fields(params, task_definition_arn):
    """The API fields the module parameters ask for (None = not managed, left as it is)."""
    deployment = params.get("deployment") or {}
    fields = dict(
        taskDefinition=task_definition_arn,
        desiredCount=params["desired_count"],
        launchType=params.get("launch_type"),
        capacityProviderStrategy=None,
        deploymentConfiguration=_deployment(
            dict(
                minimumHealthyPercent=deployment.get("minimum_healthy_percent"),
                maximumPercent=deployment.get("maximum_percent"),
                deploymentCircuitBreaker=dict(
                    enable=deployment.get("circuit_breaker"), rollback=deployment.get("rollback")
                ),
            )
        ),
        networkConfiguration=None,
        serviceRegistries=_registries(
            dict(
                registryArn=r["registry_arn"],
                containerName=r.get("container_name"),
                containerPort=r.get("container_port"),
                port=r.get("port"),
            )
            for r in params.get("service_registries") or []
        ),
        loadBalancers=_load_balancers(
            dict(
                targetGroupArn=lb["target_group_arn"], containerName=lb["container_name"], containerPort=lb["container_port"]
            )
            for lb in params.get("load_balancers") or []
        ),
        healthCheckGracePeriodSeconds=params.get("health_check_grace_period"),
        propagateTags=params.get("propagate_tags"),
        enableExecuteCommand=params.get("enable_execute_command"),
        platformVersion=params.get("platform_version"),
    )
    if params.get("capacity_provider_strategy"):
        fields["capacityProviderStrategy"] = _strategy(
            dict(capacityProvider=s["capacity_provider"], weight=s.get("weight"), base=s.get("base"))
            for s in params["capacity_provider_strategy"]
        )
    network = params.get("network") or {}
    if network.get("subnets"):
        fields["networkConfiguration"] = _network(
            dict(
                awsvpcConfiguration=dict(
                    subnets=network["subnets"],
                    securityGroups=network.get("security_groups") or [],
                    assignPublicIp="ENABLED" if network.get("assign_public_ip") else "DISABLED",
                )
            )
        )
    return fields


def current_fields(service):
    """The same fields as DescribeServices reports them."""
    return dict(
        taskDefinition=service.get("taskDefinition"),
        desiredCount=service.get("desiredCount"),
        launchType=service.get("launchType") if not service.get("capacityProviderStrategy") else None,
        capacityProviderStrategy=_strategy(service.get("capacityProviderStrategy")) or None,
        deploymentConfiguration=_deployment(service.get("deploymentConfiguration")),
        networkConfiguration=_network(service.get("networkConfiguration")) or None,
        serviceRegistries=_registries(service.get("serviceRegistries")),
        loadBalancers=_load_balancers(service.get("loadBalancers")),
        healthCheckGracePeriodSeconds=service.get("healthCheckGracePeriodSeconds"),
        propagateTags=service.get("propagateTags") or "NONE",
        enableExecuteCommand=bool(service.get("enableExecuteCommand")),
        platformVersion=service.get("platformVersion"),
    )


def field_changes(current, wanted, autoscaling=False):
    """Return {field: (current, wanted)} for every managed field that differs.

    ``None`` in ``wanted`` means "not managed". With autoscaling the desired count belongs to
    Application Auto Scaling after creation and is never compared.
    """
    changes = {}
    for key, value in wanted.items():
        if value is None:
            continue
        if key == "desiredCount" and autoscaling:
            continue
        if key == "launchType" and wanted.get("capacityProviderStrategy"):
            continue
        if current.get(key) != value:
            changes[key] = (current.get(key), value)
    if wanted.get("capacityProviderStrategy") is None and wanted.get("launchType") is None:
        # Neither given: the service follows the cluster's default strategy; nothing to compare.
        changes.pop("capacityProviderStrategy", None)
    return changes


def steady_state(service, task_definition_arn):
    """Classify a service during a deployment: (state, reason).

    state is ``steady`` (one PRIMARY deployment of the wanted task definition, rollout completed,
    running == desired), ``failed`` (rollout FAILED), ``rolled_back`` (the circuit breaker replaced the
    wanted task definition by the previous one) or ``in_progress``.
    """
    deployments = service.get("deployments") or []
    primary = [d for d in deployments if d.get("status") == "PRIMARY"]
    for deployment in deployments:
        if deployment.get("rolloutState") == "FAILED":
            return "failed", deployment.get("rolloutStateReason") or "deployment {0} failed".format(deployment.get("id"))
    if not primary:
        return "in_progress", "no PRIMARY deployment yet"
    primary = primary[0]
    if task_definition_arn and primary.get("taskDefinition") and primary["taskDefinition"] != task_definition_arn:
        return "rolled_back", "the PRIMARY deployment runs {0}, not {1}: the circuit breaker rolled back".format(
            primary["taskDefinition"], task_definition_arn
        )
    if len(deployments) > 1:
        return "in_progress", "{0} deployments still active".format(len(deployments))
    if primary.get("rolloutState") not in (None, "COMPLETED"):
        return "in_progress", primary.get("rolloutStateReason") or "rollout {0}".format(primary.get("rolloutState"))
    if service.get("runningCount") != service.get("desiredCount"):
        return "in_progress", "{0} of {1} tasks running".format(service.get("runningCount"), service.get("desiredCount"))
    return "steady", "steady state"


def recent_events(service, count=10):
    """The service's most recent event messages (ECS lists the newest first)."""
    return [
        "{0} {1}".format(e.get("createdAt", ""), e.get("message", "")).strip() for e in (service.get("events") or [])[:count]
    ]


def poll_rollout(read, task_definition_arn, timeout, delay, sleep=None):
    """Read the service with ``read()`` until steady_state says it is no longer in progress or ``timeout``
    seconds have passed; return (state, reason, service). The one rollout wait of the collection."""
    sleep = sleep or time.sleep
    deadline = time.time() + timeout
    while True:
        service = read()
        state, reason = steady_state(service, task_definition_arn)
        if state != "in_progress" or time.time() >= deadline:
            return state, reason, service
        sleep(delay)


def wait_for_rollout(module, client, cluster, service_name, task_definition_arn, timeout, delay=5, sleep=time.sleep):
    """Poll until the service runs task_definition_arn steadily; fail the module with the events if not."""
    state, reason, service = poll_rollout(
        lambda: client.describe_services(cluster=cluster, services=[service_name])["services"][0],
        task_definition_arn, timeout, delay, sleep)
    if state != "steady":
        if state == "in_progress":
            reason = "not steady within {0} seconds ({1})".format(timeout, reason)
        module.fail_json(
            msg=(
                "Service {0} in cluster {1}: {2}. Recent service events (newest first) say why; "
                "fix the image or task settings and deploy again."
            ).format(service_name, cluster, reason),
            events=recent_events(service),
            rollout=state,
            task_definition_arn=task_definition_arn,
        )
    return service


def describe_service(module, client, cluster, name):
    """The service with its tags as DescribeServices reports it, None when it (or its cluster) is gone."""
    try:
        found = client.describe_services(cluster=cluster, services=[name], include=["TAGS"])
    except is_boto3_error_code("ClusterNotFoundException"):
        return None
    except aws_errors() as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read ECS service {0}".format(name))
    services = [s for s in found.get("services", []) if s.get("status") != "INACTIVE"]
    return services[0] if services else None


def wait_until_inactive(module, client, cluster, name, timeout, delay, sleep=None):
    """After DeleteService: poll until the service is INACTIVE (describe_service None); fail after timeout."""
    sleep = sleep or time.sleep
    deadline = time.time() + timeout
    while describe_service(module, client, cluster, name) is not None:
        if time.time() >= deadline:
            module.fail_json(msg="ECS service {0} not INACTIVE after {1}s".format(name, timeout))
        sleep(delay)


def api_value(key, value):
    """A compared value in the shape UpdateService/CreateService take."""
    if key == "deploymentConfiguration":
        return dict((k, v) for k, v in value.items() if v is not None)
    return value


def create_request(params, wanted):
    """CreateService's arguments for the fields wanted_fields returned."""
    kwargs = dict(
        cluster=params["cluster"],
        serviceName=params["name"],
        taskDefinition=wanted["taskDefinition"],
        desiredCount=wanted["desiredCount"],
        deploymentConfiguration=api_value("deploymentConfiguration", wanted["deploymentConfiguration"]),
        propagateTags=wanted["propagateTags"],
        enableExecuteCommand=wanted["enableExecuteCommand"],
        schedulingStrategy="REPLICA",
        deploymentController=dict(type="ECS"),
    )
    for key in ("capacityProviderStrategy", "launchType", "networkConfiguration", "platformVersion", "healthCheckGracePeriodSeconds"):
        if wanted.get(key) is not None:
            kwargs[key] = wanted[key]
    if kwargs.get("capacityProviderStrategy"):
        kwargs.pop("launchType", None)
    if wanted["serviceRegistries"]:
        kwargs["serviceRegistries"] = wanted["serviceRegistries"]
    if wanted["loadBalancers"]:
        kwargs["loadBalancers"] = wanted["loadBalancers"]
    if params["tags"]:
        kwargs["tags"] = ansible_dict_to_boto3_tag_list(params["tags"], "key", "value")
    return kwargs


def update_request(params, changes):
    """UpdateService's arguments for the changes field_changes found (and force_new_deployment)."""
    kwargs = dict(cluster=params["cluster"], service=params["name"])
    for key, (_before, after) in changes.items():
        kwargs[key] = api_value(key, after)
    if "capacityProviderStrategy" in changes or params["force_new_deployment"]:
        # A new strategy (also from a launch type) applies to new tasks only: AWS requires a new deployment.
        kwargs["forceNewDeployment"] = True
    return kwargs
