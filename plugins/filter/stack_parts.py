# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which parts of deploy.yml a --tags/--skip-tags run selects, and what a selected part misses.

    {{ parts | stackops.ecs_webstack.selected_parts(ansible_run_tags, ansible_skip_tags) }}  -> ['network', ...]
    {{ parts | stackops.ecs_webstack.missing_parts(ansible_run_tags, ansible_skip_tags) }}   -> ['the backend part needs ...']

``parts`` maps a part of the deploy to ``{tags: [the tags of its task], tag: the tag that selects it, needs: [the
parts whose facts it takes]}`` (roles/webstack/vars/main.yml holds the deploy's graph). A part runs as Ansible runs a
task: when one of its tags is selected, or all are ('all' among the run tags), and none of them is skipped. A
selected part whose needs are not all selected would run without the facts they return (subnets, image digests,
secret ARNs), so the deploy refuses it and says which tags to add.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def _check(parts):
    if not isinstance(parts, Mapping):
        raise AnsibleFilterError("selected_parts/missing_parts expect a mapping of part -> {tags, tag, needs}")
    for name, spec in parts.items():
        if not isinstance(spec, Mapping) or not spec.get("tags") or not spec.get("tag"):
            raise AnsibleFilterError("part %s needs 'tags' (a list) and 'tag'" % name)
        unknown = sorted(set(spec.get("needs") or []) - set(parts))
        if unknown:
            raise AnsibleFilterError("part %s needs unknown parts: %s" % (name, ", ".join(unknown)))


def selected_parts(parts, run_tags=None, skip_tags=None):
    """The parts a run with these tags executes, in the graph's order."""
    _check(parts)
    run_tags = list(run_tags or ["all"])
    skip_tags = set(skip_tags or [])
    chosen = []
    for name, spec in parts.items():
        tags = set(spec["tags"])
        if ("all" in run_tags or tags & set(run_tags)) and not tags & skip_tags:
            chosen.append(name)
    return chosen


def missing_parts(parts, run_tags=None, skip_tags=None):
    """One message per selected part whose needs are not all selected."""
    chosen = selected_parts(parts, run_tags, skip_tags)
    messages = []
    for name in chosen:
        missing = sorted(set(parts[name].get("needs") or []) - set(chosen))
        if not missing:
            continue
        tags = []
        for part in missing:
            if parts[part]["tag"] not in tags:
                tags.append(parts[part]["tag"])
        messages.append("the %s part needs what %s return in the same run (tags %s%s)" % (
            name, ", ".join(missing), ",".join(tags), "; they are skipped" if skip_tags else ""))
    return messages


class FilterModule(object):
    def filters(self):
        return {"selected_parts": selected_parts, "missing_parts": missing_parts}
