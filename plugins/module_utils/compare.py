# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every comparator of the collection shares: tags and JSON documents compared once.

Each resource kind has ONE comparator (docs/comparisons.md lists them): a function in module_utils
that answers "does this resource need a change?". The collection's modules call it, and so do the
filters the roles use before they run an amazon.aws/community.aws module (the filter only turns
ComparisonError into AnsibleFilterError). This file holds the pieces those comparators share: tag
comparison as amazon.aws's compare_aws_tags does it (through aws_common.tag_diff, the same code the
modules write tags with) and policy documents given as JSON text or as data.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six import string_types

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.aws_common import foreign_tags, tag_diff


class ComparisonError(ValueError):
    """A comparator was handed something it cannot compare (the filters raise it as AnsibleFilterError)."""


def json_document(value, what):
    """A policy document as data: JSON text is parsed, data is returned as it is, None and "" are None.

    `what` names the variable in the error, so that a user can find the broken document."""
    if value is None or (isinstance(value, string_types) and not value.strip()):
        return None
    if isinstance(value, string_types):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ComparisonError("%s is not a JSON document (%s): %r" % (what, exc, value))
    return value


def text_tags(tags):
    """Tags as text, as the modules send them."""
    return dict((to_text(k), to_text(v)) for k, v in (tags or {}).items())


def tag_differences(current, wanted, purge=True):
    """What compare_aws_tags would change, one line per tag; [] when wanted is None (tags left alone).

    Values are compared as text, as the modules send them (a YAML 123 is the tag "123"); AWS's own
    aws:* tags are never purged. Tag values are not secret, so the lines show them."""
    if wanted is None:
        return []
    current = text_tags(current)
    wanted = dict((k, v) for k, v in text_tags(wanted).items() if not k.startswith("aws:"))
    to_set, to_remove = tag_diff(current, wanted, purge)
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
    return not foreign_tags(text_tags(tags), text_tags(wanted))
