#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: atlas_access_list
short_description: Manage a MongoDB Atlas project's IP access list (Admin API v2)
version_added: 0.1.0
description:
  - Adds, updates and removes entries of a MongoDB Atlas project IP access list through
    the Atlas Administration API v2.
  - Why this module exists, the only Atlas module in the ecosystem,
    C(community.mongodb.mongodb_atlas_whitelist), calls the v1.0 C(/whitelist) endpoint that Atlas
    removed in July 2021, so it cannot work any more.
  - One list read, at most one POST for all additions and comment changes (the API takes an
    array and upserts on the address), one DELETE per removal. An entry whose
    O(entries[].delete_after_date) changes is deleted and added again.
  - Entries are validated and normalised before any call. An O(entries[].ip_address) and its
    C(/32) (or C(/128)) CIDR are the same entry. A CIDR with host bits set is an error that shows the
    corrected network.
author:
  - ecs_webstack contributors (@stackops)
extends_documentation_fragment:
  - stackops.ecs_webstack.atlas
options:
  project_id:
    description:
      - The 24-hex-digit Atlas project (group) ID.
    type: str
    required: true
  entries:
    description:
      - The entries to ensure present (O(state=present)) or absent (O(state=absent)).
    type: list
    elements: dict
    default: []
    suboptions:
      cidr_block:
        description:
          - A network in CIDR notation, for example C(203.0.113.0/24). Exactly one of
            O(entries[].cidr_block), O(entries[].ip_address) and O(entries[].aws_security_group).
        type: str
      ip_address:
        description:
          - A single IPv4 or IPv6 address. Same entry as its C(/32) CIDR.
        type: str
      aws_security_group:
        description:
          - An AWS security group ID. Needs VPC peering between the project and the VPC; cannot be temporary.
        type: str
      comment:
        description:
          - Remark stored with the entry, at most 80 characters. When omitted the comment of an existing
            entry is left as it is.
        type: str
      delete_after_date:
        description:
          - ISO 8601 date-time after which Atlas deletes the entry (a temporary entry). Must be in the
            future and at most one week ahead. When omitted the entry is permanent.
        type: str
  state:
    description:
      - V(present) adds missing entries and updates comments; V(absent) removes the listed entries.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also remove every entry that is not in O(entries).
      - With O(state=absent), also remove every entry, listed or not.
      - Limited by O(purge_comment_prefix) when that is set.
    type: bool
    default: false
  purge_comment_prefix:
    description:
      - With O(purge=true), remove only entries whose comment starts with this text (for example
        the mark C(managed-by:stackops.ecs_webstack:) that the C(atlas_access) role puts on its entries),
        so entries added by people or other tools stay.
    type: str
  wait:
    description:
      - Poll the status of every added entry until Atlas reports it C(ACTIVE).
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for O(wait).
    type: int
    default: 300
  production:
    description:
      - The project serves a production environment. With O(state=present), any entry that admits the
        whole internet is refused, whatever O(allow_open) says, before any call to Atlas.
      - Open means a network of prefix length 0 in IPv4 or IPv6 however it is written (C(0.0.0.0/0),
        C(0.0.0.0/00), C(10.0.0.0/0), C(::/0), C(0::0/0), the full 8-group form), or an IPv6 network holding
        every IPv4-mapped address (C(::ffff:0.0.0.0/96)), in O(entries[].cidr_block) or O(entries[].ip_address).
    type: bool
    default: false
  allow_open:
    description:
      - Consent to an entry that admits the whole internet (see O(production)) outside production. Without it
        such an entry is refused before any call to Atlas. Ignored when O(production=true), which always refuses.
      - Removing an open entry (O(state=absent), O(purge)) needs no consent.
    type: bool
    default: false
notes:
  - Supports check mode (no write is sent, the result predicts the list) and diff mode.
  - Atlas does not allow concurrent POSTs to one project; do not run this module in parallel for
    the same project.
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
"""

EXAMPLES = r"""
- name: Admit the NAT gateway's address and drop stale managed entries
  stackops.ecs_webstack.atlas_access_list:
    project_id: 64b7f0c2a1b2c3d4e5f60718
    entries:
      - ip_address: 203.0.113.10
        comment: "managed-by:stackops.ecs_webstack:webstack-dev"
    purge: true
    purge_comment_prefix: "managed-by:stackops.ecs_webstack:webstack-dev"
    wait: true

- name: Temporary access for a support session (API key from the environment)
  stackops.ecs_webstack.atlas_access_list:
    project_id: "{{ atlas_project_id }}"
    entries:
      - cidr_block: 198.51.100.0/24
        comment: support session
        delete_after_date: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now(utc=true).timestamp() + 86400) }}"

- name: Admit the whole internet for a throw-away test project (refused with production=true)
  stackops.ecs_webstack.atlas_access_list:
    project_id: "{{ atlas_project_id }}"
    entries:
      - cidr_block: 0.0.0.0/0
        comment: open for a load test
    allow_open: true
    production: false

- name: Remove an entry with a service account
  stackops.ecs_webstack.atlas_access_list:
    project_id: "{{ atlas_project_id }}"
    client_id: "{{ atlas_client_id }}"
    client_secret: "{{ atlas_client_secret }}"
    entries:
      - ip_address: 203.0.113.10
    state: absent
"""

RETURN = r"""
entries:
  description: The access list as Atlas reports it after the change (predicted in check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - cidrBlock: 203.0.113.10/32
      ipAddress: 203.0.113.10
      comment: "managed-by:stackops.ecs_webstack:webstack-dev"
added:
  description: Entry values (canonical CIDR or security group ID) that were added.
  returned: always
  type: list
  elements: str
  sample: ["203.0.113.10/32"]
updated:
  description: Entry values whose comment or expiry was changed.
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: Entry values that were removed.
  returned: always
  type: list
  elements: str
  sample: ["198.51.100.7/32"]
error:
  description: On failure from Atlas, the HTTP status, Atlas C(errorCode), C(detail) and a hint.
  returned: on Atlas API failure
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import (
    AtlasError,
    atlas_argument_spec,
    client_from_module,
    fail_from_error,
)
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import (
    EntryError,
    entry_key,
    entry_value,
    is_open_world,
    normalize_entries,
    open_world_entries,
    plan,
    public_view,
)


def _sorted_view(entries):
    return sorted((public_view(e) for e in entries), key=entry_key)


def _open_world_refusal(params):
    """Why the entries may not be added (an entry admitting the whole internet), or None."""
    if params["state"] != "present":
        return None
    found = open_world_entries(params["entries"])
    if not found:
        return None
    if params["production"]:
        return ("%s admit(s) the whole internet and production is true: open entries are refused in production "
                "whatever allow_open says. Admit the backend's egress addresses only (a NAT gateway's Elastic IP, the "
                "tasks' public IPs)." % "; ".join(found))
    if not params["allow_open"]:
        return ("%s admit(s) the whole internet: set allow_open: true to confirm (outside production only), or admit "
                "the backend's egress addresses only." % "; ".join(found))
    return None


def main():
    argument_spec = atlas_argument_spec()
    argument_spec.update(
        project_id=dict(type="str", required=True),
        entries=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                cidr_block=dict(type="str"),
                ip_address=dict(type="str"),
                aws_security_group=dict(type="str"),
                comment=dict(type="str"),
                delete_after_date=dict(type="str"),
            ),
        ),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        purge=dict(type="bool", default=False),
        purge_comment_prefix=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        production=dict(type="bool", default=False),
        allow_open=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    project_id = params["project_id"]
    result = dict(changed=False, entries=[], added=[], updated=[], removed=[])

    # Everything that can be checked without Atlas is checked before the first call.
    if params["purge_comment_prefix"] and not params["purge"]:
        module.fail_json(msg="purge_comment_prefix only applies with purge=true; set purge: true or drop it.")
    # An open entry is refused before its spelling is judged: '10.0.0.0/0' would otherwise be told to
    # drop its host bits and become 0.0.0.0/0.
    refused = _open_world_refusal(params)
    if refused:
        module.fail_json(msg=refused, **result)
    try:
        desired = normalize_entries([dict((k, v) for k, v in e.items() if v is not None) for e in params["entries"]])
    except EntryError as err:
        module.fail_json(msg=str(err), **result)
    client = client_from_module(module, project_id=project_id)

    try:
        current = client.list_access_list(project_id)
        change = plan(current, desired, state=params["state"], purge=params["purge"],
                      purge_comment_prefix=params["purge_comment_prefix"])
        current_keys = set(entry_key(e) for e in current)
        replaced_keys = set(entry_key(e) for e in change["replace"])
        result["added"] = [n["key"] for n in change["add"] if n["key"] not in current_keys]
        result["updated"] = [n["key"] for n in change["add"] if n["key"] in current_keys]
        result["removed"] = [entry_key(e) for e in change["remove"]]
        result["changed"] = bool(change["add"] or change["remove"])
        if module._diff:
            result["diff"] = dict(before=_sorted_view(current), after=_sorted_view(change["after"]))
        final = change["after"]
        if result["changed"] and not module.check_mode:
            # An entry whose expiry changes is deleted first and posted again below.
            for existing in change["replace"]:
                client.delete_access_list_entry(project_id, entry_value(existing))
            after_post = None
            if change["add"]:
                after_post = client.add_access_list_entries(project_id, [n["payload"] for n in change["add"]])
            # Pure removals come after the additions, so access is never narrower than needed.
            for existing in change["remove"]:
                client.delete_access_list_entry(project_id, entry_value(existing))
            if after_post is not None:
                gone = set(result["removed"])
                final = [public_view(e) for e in after_post if entry_key(e) not in gone]
            if params["wait"] and change["add"]:
                new_values = [n["value"] for n in change["add"] if n["key"] not in current_keys or n["key"] in replaced_keys]
                client.wait_access_list_active(project_id, new_values, params["wait_timeout"])
        result["entries"] = [public_view(e) for e in final]
        lingering = [e for e in result["entries"] if is_open_world(e)] if params["production"] and params["state"] == "present" else []
        if lingering:
            module.warn("The access list of production project %s still admits the whole internet through an entry this "
                        "task did not add: %s. Remove it (purge: true, or state: absent with that entry)." % (
                            project_id, "; ".join("%s (comment %r)" % (entry_key(e), e.get("comment") or "") for e in lingering)))
    except AtlasError as err:
        fail_from_error(module, err, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
