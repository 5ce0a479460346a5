# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the drift filters (network_drift, ecs_cluster_drift, secrets_drift, ecr_settings) share.

Each filter says whether an amazon.aws/community.aws module would change a resource, so each must
compare tags and JSON policy documents exactly as those modules do. That comparison lives here once:
the modules all use amazon.aws's compare_aws_tags, and take policies either as JSON text or as data.
Controller-side code (plugin_utils, not module_utils): it runs inside filters and raises their error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six import string_types

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


def json_document(value, what):
    """A policy document as data: JSON text is parsed, data is returned as it is, None and "" are None.

    `what` names the variable in the error, so that a user can find the broken document."""
    if value is None or (isinstance(value, string_types) and not value.strip()):
        return None
    if isinstance(value, string_types):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise AnsibleFilterError("%s is not a JSON document (%s): %r" % (what, exc, value))
    return value


def tag_differences(current, wanted, purge=True):
    """What compare_aws_tags would change, one line per tag; [] when wanted is None (tags left alone).

    Values are compared as text, as the modules send them (a YAML 123 is the tag "123"); AWS's own
    aws:* tags are never purged. Tag values are not secret, so the lines show them."""
    if wanted is None:
        return []
    current = dict((to_text(k), to_text(v)) for k, v in (current or {}).items())
    wanted = dict((to_text(k), to_text(v)) for k, v in wanted.items() if not to_text(k).startswith("aws:"))
    to_set, to_remove = compare_aws_tags(current, wanted, purge_tags=purge)
    out = []
    for key in sorted(to_set):
        if key in current:
            out.append("tag %s is %r, wants %r" % (key, current[key], to_set[key]))
        else:
            out.append("tag %s is missing" % key)
    out.extend("tag %s is not wanted" % key for key in sorted(to_remove))
    return out


def tags_carry(tags, wanted):
    """True when `tags` hold every wanted tag with its value (others may be there too)."""
    tags = dict((to_text(k), to_text(v)) for k, v in (tags or {}).items())
    return all(tags.get(to_text(k)) == to_text(v) for k, v in (wanted or {}).items())
