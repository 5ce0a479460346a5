# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare a family's latest ACTIVE task definition with the one the ecs_service role registers.

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

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict


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


def ecs_taskdefinition_drift(taskdef_info, wanted):
    """Return the differences between the latest ACTIVE revision and ``wanted`` (empty: reuse it)."""
    if not isinstance(wanted, dict) or not isinstance(wanted.get("container"), dict):
        raise AnsibleFilterError("ecs_taskdefinition_drift: wanted must be a dict with a 'container' dict")
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


class FilterModule(object):
    def filters(self):
        return {"ecs_taskdefinition_drift": ecs_taskdefinition_drift}
