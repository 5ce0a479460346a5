# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare the stack's network, as amazon.aws's info modules read it, with what the network role makes.

The comparison lives in plugins/module_utils/network.py, which says what is compared and how; these
filters only turn its ComparisonError into AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import network as comparators
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


network_drift = comparison_filter(comparators.network_drift)
network_sg_rules = comparison_filter(comparators.network_sg_rules)
network_sg_unresolved = comparison_filter(comparators.network_sg_unresolved)


class FilterModule(object):
    def filters(self):
        return {
            "network_drift": network_drift,
            "network_sg_rules": network_sg_rules,
            "network_sg_unresolved": network_sg_unresolved,
        }
