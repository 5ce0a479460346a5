# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would the ecs_cluster role's create modules change anything? One filter per kind of resource.

The comparison lives in plugins/module_utils/ecs_cluster.py, which says what is compared and how; these
filters only turn its ComparisonError into AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs_cluster as comparators
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


iam_role_drift = comparison_filter(comparators.iam_role_drift)
iam_inline_policy_drift = comparison_filter(comparators.iam_inline_policy_drift)
ecs_cluster_drift = comparison_filter(comparators.ecs_cluster_drift)
log_group_drift = comparison_filter(comparators.log_group_drift)


class FilterModule(object):
    def filters(self):
        return {
            "iam_role_drift": iam_role_drift,
            "iam_inline_policy_drift": iam_inline_policy_drift,
            "ecs_cluster_drift": ecs_cluster_drift,
            "log_group_drift": log_group_drift,
        }
