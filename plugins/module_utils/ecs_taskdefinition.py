# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECS task definitions: the one comparison of a family's latest revision with the one wanted, the
revision a new image is registered from, and the removal of a family.

taskdefinition_drift(taskdef_info, wanted) -> [differences]; the ecs_service role calls it through the
filter ecs_taskdefinition_drift and runs community.aws.ecs_taskdefinition only when it is not empty:

    {{ taskdef_info | stackops.ecs_webstack.ecs_taskdefinition_drift(wanted) }}  -> [differences]

``taskdef_info`` is what community.aws.ecs_taskdefinition_info returns for the family name (one
DescribeTaskDefinition call: the latest ACTIVE revision, keys in snake_case; empty when the family has
none). ``wanted`` holds what the role passes to community.aws.ecs_taskdefinition: ``container`` (the
one container definition, API camelCase), ``launch_type``, ``network_mode``, ``cpu``, ``memory``,
``task_role_arn``, ``execution_role_arn`` and ``runtime_platform`` (API camelCase, ``cpuArchitecture`` and
``operatingSystemFamily``; compared only when given).

Why: community.aws.ecs_taskdefinition lists every ACTIVE revision of the family and describes each
one (1 + N reads per service on every run, N growing with each deployment) to find any revision that
matches. The role reads the latest revision alone and runs ecs_taskdefinition only when it differs.

The comparison covers what ecs_taskdefinition compares - the task role, the launch type among the
required compatibilities, no volumes, and each key of the container (a key it was not given must be
empty in AWS's answer, ``essential: true`` excepted) - and what it does not, which the role's
definition-hash label otherwise stands for: the execution role, the network mode, cpu and memory, the
runtime platform (an ARM64 image on an X86_64 revision never starts), and list values element by element
(ecs_taskdefinition accepts any list of the same length; a revision copied by hand keeps the hash label
while its environment or image changes). Port mappings without a protocol mean tcp, as in ecs_taskdefinition. Anything not proven equal is a difference: a
false difference costs one new revision, a false match would leave the service on the wrong one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import aws_errors
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError


def _plain(value):
    """Plain dicts, lists and scalars (Ansible may hand over its own container types)."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _element(key, value):
    if key == "port_mappings" and isinstance(value, dict) and not value.get("protocol"):
        value = dict(value, protocol="tcp")
    return json.dumps(value, sort_keys=True)


def _same(key, wanted, current):
    if not wanted:
        return not current
    if isinstance(wanted, list):
        if not isinstance(current, list):
            return False
        # ECS may reorder list elements; compare them as a multiset.
        return sorted(_element(key, v) for v in wanted) == sorted(_element(key, v) for v in current)
    return wanted == current


def _runtime_platform(value):
    """``LINUX/ARM64`` from a runtimePlatform in either case style ('' when there is none)."""
    value = camel_dict_to_snake_dict(value or {})
    parts = [value.get("operating_system_family") or "", value.get("cpu_architecture") or ""]
    return "/".join(parts) if any(parts) else ""


def _container_changes(wanted, current):
    changed = [key for key, value in wanted.items() if not _same(key, value, current.get(key))]
    changed += [
        key for key, value in current.items()
        if value and key not in wanted and not (key == "essential" and value is True)
    ]
    return sorted(changed)


def taskdefinition_drift(taskdef_info, wanted):
    """Return the differences between the latest ACTIVE revision and ``wanted`` (empty: reuse it)."""
    if not isinstance(wanted, dict) or not isinstance(wanted.get("container"), dict):
        raise ComparisonError("taskdefinition_drift: wanted must be a dict with a 'container' dict")
    current = _plain(taskdef_info or {})
    wanted = _plain(wanted)
    if not current.get("task_definition_arn"):
        return ["no ACTIVE revision of the family"]
    out = []
    where = "revision %s" % current.get("revision", "?")
    if current.get("status") != "ACTIVE":
        out.append("%s is %s" % (where, current.get("status")))
    for key in ("network_mode", "task_role_arn", "execution_role_arn"):
        if (current.get(key) or "") != (wanted.get(key) or ""):
            out.append("%s: %s %s, wanted %s" % (where, key, current.get(key) or "none", wanted.get(key) or "none"))
    for key in ("cpu", "memory"):
        if str(current.get(key) or "") != str(wanted.get(key) or ""):
            out.append("%s: %s %s, wanted %s" % (where, key, current.get(key) or "none", wanted.get(key)))
    if "runtime_platform" in wanted:
        have, want = _runtime_platform(current.get("runtime_platform")), _runtime_platform(wanted["runtime_platform"])
        if have != want:
            out.append("%s: runtime platform %s, wanted %s" % (where, have or "none", want or "none"))
    if wanted.get("launch_type") and wanted["launch_type"] not in (current.get("requires_compatibilities") or []):
        out.append("%s: requires %s, wanted %s" % (
            where, ",".join(current.get("requires_compatibilities") or []) or "none", wanted["launch_type"]))
    for key in ("volumes", "placement_constraints"):
        if current.get(key):
            out.append("%s: has %s" % (where, key))
    containers = current.get("container_definitions") or []
    container = camel_dict_to_snake_dict(wanted["container"])
    if len(containers) != 1:
        out.append("%s: %d containers, wanted 1" % (where, len(containers)))
    else:
        changed = _container_changes(container, containers[0])
        if changed:
            out.append("%s: container %s differs in %s" % (where, container.get("name"), ", ".join(changed)))
    return out


# Fields of DescribeTaskDefinition's answer that RegisterTaskDefinition takes back unchanged.
REGISTRABLE_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


def registrable(task_definition):
    """The part of a described task definition that can be registered again as a new revision."""
    return dict((key, task_definition[key]) for key in REGISTRABLE_FIELDS if task_definition.get(key) not in (None, [], {}))


# DeleteTaskDefinitions takes at most 10 revisions per call (ECS API reference).
DELETE_BATCH = 10


def task_definition_family(reference):
    """The family of a task definition ARN or ``family:revision``."""
    return reference.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def family_revisions(client, family, status):
    """ARNs of the revisions of exactly ``family`` that are in ``status`` (ACTIVE or INACTIVE), oldest first.

    ListTaskDefinitions documents familyPrefix as the full family name, yet calls it a prefix; the family
    carries the stack and environment, so only exact matches are kept: ``stack-dev-backend`` never picks
    up ``stack-dev-backend2``.
    """
    arns = []
    for page in client.get_paginator("list_task_definitions").paginate(familyPrefix=family, status=status, sort="ASC"):
        arns.extend(arn for arn in page.get("taskDefinitionArns", []) if task_definition_family(arn) == family)
    return arns


def batches(items, size=DELETE_BATCH):
    """``items`` in consecutive lists of at most ``size``."""
    return [items[start:start + size] for start in range(0, len(items), size)]


def resolve_task_definition(module, client, task_definition):
    if task_definition.startswith("arn:"):
        return task_definition
    try:
        return client.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]["taskDefinitionArn"]
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not read task definition {0}".format(task_definition))


def remove_task_definitions(module, client, family, keep):
    """Deregister the family's ACTIVE revisions, then delete them and the INACTIVE ones; return their ARNs.

    DeleteTaskDefinitions takes only INACTIVE revisions. Listing INACTIVE ones too lets a run finish what an
    interrupted one started (deregistered, not yet deleted).
    """
    try:
        active = [arn for arn in family_revisions(client, family, "ACTIVE") if arn not in keep]
        inactive = [arn for arn in family_revisions(client, family, "INACTIVE") if arn not in keep]
    except aws_errors() as err:
        module.fail_json_aws(err, msg="Could not list the revisions of task definition family {0}".format(family))
    removed = active + inactive
    if module.check_mode or not removed:
        return removed
    for arn in active:
        try:
            client.deregister_task_definition(taskDefinition=arn)
        except aws_errors() as err:
            module.fail_json_aws(err, msg="Could not deregister task definition {0}".format(arn))
    deleted = []
    for batch in batches(removed):
        try:
            answer = client.delete_task_definitions(taskDefinitions=batch)
        except aws_errors() as err:
            module.fail_json_aws(err, msg="Could not delete task definitions {0}".format(", ".join(batch)),
                                 task_definitions_removed=deleted)
        deleted.extend(d["taskDefinitionArn"] for d in answer.get("taskDefinitions") or [])
        if answer.get("failures"):
            module.fail_json(
                msg="Could not delete task definitions: {0}".format(
                    "; ".join("{0}: {1}".format(f.get("arn"), f.get("reason")) for f in answer["failures"])
                ),
                failures=answer["failures"],
                task_definitions_removed=deleted,
            )
    return removed
