# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atlas access list checks for the atlas_access role's validate.yml, on the module's own rules
(plugins/module_utils/atlas_entries.py), so the first play of deploy.yml refuses what the module would.

    {{ '0.0.0.0/00' | stackops.ecs_webstack.atlas_open_world }}                  -> true
    {{ entries | stackops.ecs_webstack.atlas_open_entries('atlas_access_extra_entries') }}
        -> ["atlas_access_extra_entries[0].cidr_block '0.0.0.0/00' (0.0.0.0/0)"]
    {{ entries | stackops.ecs_webstack.atlas_entry_errors(mark, 'atlas_access_extra_entries') }}
        -> what atlas_access_list would refuse in those entries (as the role sends them), or []
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import (
    EntryError,
    is_open_world,
    normalize_entries,
    open_world_entries,
)


def _entries(value, name):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    raise AnsibleFilterError("{0} must be a list of entries, got {1}".format(name, type(value).__name__))


def atlas_open_world(value):
    """True when an entry (dict) or an address/CIDR text admits the whole internet."""
    return is_open_world(value)


def atlas_open_entries(value, name="entries"):
    """One line per entry that admits the whole internet, naming it as ``name[index].field``."""
    return open_world_entries(_entries(value, name), name=name)


def atlas_entry_errors(value, mark="", name="entries"):
    """What atlas_access_list would refuse in these entries, each comment prefixed as the role does it
    (``<mark> <comment or 'extra'>``); the first problem only, as the module reports it, named ``name[i]``."""
    entries = _entries(value, name)
    sent = []
    for entry in entries:
        if isinstance(entry, dict) and mark:
            entry = dict(entry, comment="%s %s" % (mark, entry.get("comment") or "extra"))
        sent.append(dict((k, v) for k, v in entry.items() if v is not None) if isinstance(entry, dict) else entry)
    try:
        normalize_entries(sent)
    except EntryError as err:
        return [str(err).replace("entries[", name + "[")]
    return []


class FilterModule(object):
    def filters(self):
        return {
            "atlas_open_world": atlas_open_world,
            "atlas_open_entries": atlas_open_entries,
            "atlas_entry_errors": atlas_entry_errors,
        }
