# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a tagging module change these tags?

    {{ current_tags | stackops.ecs_webstack.tag_drift(wanted_tags, purge=false) }}  -> ["tag Owner is missing", ...]

Tags are compared as amazon.aws's compare_aws_tags compares them (values as text, aws:* tags never
purged), through module_utils/compare.py's tag_differences, which uses module_utils/aws_common.py's
tag_diff: the comparison the collection's modules (ensure_tags) write tags with. wanted None leaves
tags alone (no difference).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import tag_differences


def tag_drift(current, wanted, purge=True):
    """One line per tag that differs; empty when nothing would change."""
    if not isinstance(current, dict) and current is not None:
        raise AnsibleFilterError("tag_drift expects the current tags as a dict, got %r" % type(current))
    if not isinstance(wanted, dict) and wanted is not None:
        raise AnsibleFilterError("tag_drift expects the wanted tags as a dict, got %r" % type(wanted))
    return tag_differences(current, wanted, purge)


class FilterModule(object):
    def filters(self):
        return {"tag_drift": tag_drift}
