# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare a family's latest ACTIVE task definition with the one the ecs_service role registers.

    {{ taskdef_info | stackops.ecs_webstack.ecs_taskdefinition_drift(wanted) }}  -> [differences]

The comparison lives in plugins/module_utils/ecs_taskdefinition.py (taskdefinition_drift), which says
what is compared and why; this filter only hands it to the role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs_taskdefinition import taskdefinition_drift
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


ecs_taskdefinition_drift = comparison_filter(taskdefinition_drift, prefix="ecs_")


class FilterModule(object):
    def filters(self):
        return {"ecs_taskdefinition_drift": ecs_taskdefinition_drift}
