# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module_utils comparator as a filter (docs/comparisons.md).

Every "does this resource need a change?" comparison is one function in plugins/module_utils, used by the module
that manages the resource and, through a filter, by the role that decides whether to run an upstream module. The
comparator raises module_utils.compare.ComparisonError on bad input (it also runs inside modules, which have no
Ansible filter error); a filter is the same function with that error turned into Ansible's:

    network_drift = comparison_filter(network.network_drift)

Controller-side code (plugin_utils, not module_utils): only filters use it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError


def comparison_filter(comparator, prefix=""):
    """The comparator, raising AnsibleFilterError (its message after ``prefix``) where it raises ComparisonError."""
    @functools.wraps(comparator)
    def as_filter(*args, **kwargs):
        try:
            return comparator(*args, **kwargs)
        except ComparisonError as exc:
            raise AnsibleFilterError(prefix + to_native(exc))
    return as_filter
