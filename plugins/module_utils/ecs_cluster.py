# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ecs_cluster role makes (IAM roles and their inline policies, the cluster with its capacity
providers and settings, log groups, the EC2 capacity provider): one comparison per kind.

settings_changes is ecs_cluster_settings' decision and capacity_provider_changes ecs_capacity_provider's;
the others mirror the upstream module the role runs when they find a difference.

The filter of the same name (plugins/filter/ecs_cluster_drift.py) hands these comparators to the roles:

    {{ iam_read.roles | stackops.ecs_webstack.iam_role_drift(wanted_roles) }}       -> {role: [difference, ...]}
    {{ iam_read.roles | stackops.ecs_webstack.iam_inline_policy_drift(role, policy, document) }}  -> [difference]
    {{ cluster_read.cluster | stackops.ecs_webstack.ecs_cluster_drift(wanted) }}     -> {capacity: [...], settings: [...]}
    {{ log_read.log_groups | stackops.ecs_webstack.log_group_drift(wanted_groups) }} -> {log group: [difference, ...]}

Each compares exactly as the module the role runs on a difference would, so an empty answer means
that module would report changed=false:
- iam_role_drift as amazon.aws.iam_role (state=present): tags with compare_aws_tags and purge_tags,
  the trust policy with compare_policies on the parsed JSON, description, max_session_duration,
  permissions boundary and path only when wanted, managed policies as sets (extra ones only with
  purge_policies). The current roles are what iam_roles_info returns.
- iam_inline_policy_drift as amazon.aws.iam_policy (state=present, skip_duplicates=false): only the
  named policy matters; other inline policies of the role are left alone by that module too.
- ecs_cluster_drift: "capacity" as community.aws.ecs_cluster (the provider list in order, the default
  strategy as a set of {capacity_provider, weight, base} with base 0 when not given, nothing with
  purge_capacity_providers=false); "settings" as the collection's ecs_cluster_settings (Container
  Insights, tags). The current cluster is what ecs_cluster_settings returns ({} when missing).
- log_group_drift as amazon.aws.cloudwatchlogs_log_group (state=present): tags with compare_aws_tags,
  retention when wanted. The current groups are what cloudwatchlogs_log_group_info returns.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tag_diff
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import tags_after
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import json_document
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import tag_differences


def _role_differences(current, wanted):
    if not current or not current.get("exists"):
        return ["role is missing"]
    out = tag_differences(current.get("tags"), wanted.get("tags"), wanted.get("purge_tags", True))
    trust = wanted.get("assume_role_policy_document")
    if trust is not None and compare_policies(
        current.get("assume_role_policy_document") or {}, json_document(trust, "assume_role_policy_document")
    ):
        out.append("trust policy differs")
    for key, label in (("description", "description"), ("max_session_duration", "maximum session duration"),
                       ("path", "path")):
        if wanted.get(key) is not None and wanted[key] != current.get(key):
            out.append("%s is %r, wants %r" % (label, current.get(key), wanted[key]))
    boundary = wanted.get("boundary")
    if boundary is not None and boundary != (current.get("permissions_boundary") or ""):
        out.append("permissions boundary is %r, wants %r" % (current.get("permissions_boundary"), boundary))
    managed = wanted.get("managed_policies")
    if managed is not None:
        managed = [p for p in managed if p is not None]
        attached = set(current.get("managed_policies") or [])
        out.extend("managed policy %s is not attached" % p for p in sorted(set(managed) - attached))
        if wanted.get("purge_policies", True):
            out.extend("managed policy %s is attached but not wanted" % p for p in sorted(attached - set(managed)))
    return out


def iam_role_drift(current_roles, wanted_roles):
    """{role name: [differences]} for each wanted role amazon.aws.iam_role would change."""
    if not isinstance(current_roles, dict) or not isinstance(wanted_roles, list):
        raise ComparisonError("iam_role_drift expects the roles iam_roles_info read (a dict) and a list of wanted roles")
    out = {}
    for wanted in wanted_roles:
        differences = _role_differences(current_roles.get(wanted["name"]), wanted)
        if differences:
            out[wanted["name"]] = differences
    return out


def iam_inline_policy_drift(current_roles, role_name, policy_name, document):
    """[differences] when amazon.aws.iam_policy would write the role's inline policy."""
    if not isinstance(current_roles, dict):
        raise ComparisonError("iam_inline_policy_drift expects the roles iam_roles_info read (a dict)")
    current = (current_roles.get(role_name) or {}).get("inline_policies", {}).get(policy_name)
    if current is None:
        return ["inline policy %s is missing" % policy_name]
    if compare_policies(current, json_document(document, "inline policy " + policy_name)):
        return ["inline policy %s differs" % policy_name]
    return []


def _strategy(items, requested):
    """Strategy entries in community.aws.ecs_cluster's normal form (weight None and base 0 when not given)."""
    out = []
    for item in items or []:
        if requested:
            provider, weight, base = item.get("capacity_provider"), item.get("weight"), item.get("base")
        else:
            provider, weight, base = item.get("capacityProvider"), item.get("weight"), item.get("base")
        out.append(dict(capacity_provider=provider, weight=None if weight is None else int(weight),
                        base=0 if base is None else int(base)))
    return out


def settings_changes(current, container_insights, tags, purge_tags):
    """(change Container Insights?, tags to set, tag keys to remove): what ecs_cluster_settings changes on the
    cluster ``current`` (as that module describes it). None leaves a setting alone. The module decides with
    it, and ecs_cluster_drift's "settings" lines come from it (the tag lines through tag_differences,
    which is the same tag_diff)."""
    change_insights = container_insights is not None and container_insights != current.get("container_insights")
    to_set, to_remove = tag_diff(current.get("tags"), tags, purge_tags)
    return change_insights, to_set, to_remove


def capacity_provider_changes(current, wanted, tags, purge_tags):
    """(after, {field: [current, wanted]}) for an ECS capacity provider as ecs_capacity_provider describes it:
    the managed scaling, the termination protection and the tags (None leaves them alone). The module
    updates exactly the fields in the second value; a different Auto Scaling group it refuses itself."""
    to_set, to_remove = tag_diff(current["tags"], tags, purge_tags)
    after = dict(current, managed_scaling=wanted["managed_scaling"],
                 managed_termination_protection=wanted["managed_termination_protection"],
                 tags=tags_after(current["tags"], to_set, to_remove))
    changes = dict((k, [current[k], after[k]]) for k in after if after[k] != current[k])
    return after, changes


def ecs_cluster_drift(current, wanted):
    """{capacity: [...], settings: [...]}: what community.aws.ecs_cluster / ecs_cluster_settings would change."""
    if not isinstance(current, dict) or not isinstance(wanted, dict):
        raise ComparisonError("ecs_cluster_drift expects the cluster ecs_cluster_settings read and the wanted settings")
    if not current or current.get("status") != "ACTIVE":
        missing = ["cluster is missing" if not current else "cluster is %s" % current.get("status")]
        return dict(capacity=missing, settings=list(missing))
    capacity = []
    if wanted.get("purge_capacity_providers", True):
        providers = list(wanted.get("capacity_providers") or [])
        if providers != list(current.get("capacity_providers") or []):
            capacity.append("capacity providers are %s, wants %s" % (current.get("capacity_providers"), providers))
        existing = _strategy(current.get("default_capacity_provider_strategy"), requested=False)
        requested = wanted.get("capacity_provider_strategy")
        if requested is None:
            if existing:
                capacity.append("default strategy is %s, wants none" % existing)
        else:
            requested = _strategy(requested, requested=True)
            if any(s not in existing for s in requested) or any(s not in requested for s in existing):
                capacity.append("default strategy is %s, wants %s" % (existing, requested))
    settings = []
    insights = wanted.get("container_insights")
    if settings_changes(current, insights, None, True)[0]:
        settings.append("container insights is %r, wants %r" % (current.get("container_insights"), insights))
    settings.extend(tag_differences(current.get("tags"), wanted.get("tags"), wanted.get("purge_tags", True)))
    return dict(capacity=capacity, settings=settings)


def log_group_drift(current_groups, wanted_groups):
    """{log group name: [differences]} for each wanted group amazon.aws.cloudwatchlogs_log_group would change."""
    if not isinstance(current_groups, list) or not isinstance(wanted_groups, list):
        raise ComparisonError("log_group_drift expects the log groups cloudwatchlogs_log_group_info read and a list of wanted groups")
    found = dict((g.get("log_group_name"), g) for g in current_groups)
    out = {}
    for wanted in wanted_groups:
        current = found.get(wanted["name"])
        if current is None:
            out[wanted["name"]] = ["log group is missing"]
            continue
        differences = tag_differences(current.get("tags"), wanted.get("tags"), wanted.get("purge_tags", True))
        retention = wanted.get("retention")
        if retention is not None and int(retention) != current.get("retention_in_days"):
            differences.append("retention is %s days, wants %s" % (current.get("retention_in_days"), retention))
        if differences:
            out[wanted["name"]] = differences
    return out
