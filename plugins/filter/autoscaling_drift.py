# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would community.aws.application_autoscaling_policy change this service's scaling?

    {{ scaling_read | stackops.ecs_webstack.autoscaling_drift(minimum, maximum, policies) }}  -> ["capacity 1-2, wanted 1-4", ...]

scaling_read is what application_autoscaling_info returns; policies a list of dicts with name and config
(the TargetTrackingScalingPolicyConfiguration). The comparison is module_utils/autoscaling.py's
scaling_drift; this filter only hands it to the ecs_service role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.autoscaling import scaling_drift
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


autoscaling_drift = comparison_filter(scaling_drift)


class FilterModule(object):
    def filters(self):
        return {"autoscaling_drift": autoscaling_drift}
