# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network role's security groups from who may reach whom (network_services), and their deletion.

    {{ network_services | stackops.ecs_webstack.network_services_errors(label) }}          -> ['network_services[2] (worker): ...']
    {{ network_services | stackops.ecs_webstack.network_service_security_groups(settings) }} -> the groups, in creation order
    {{ found_groups | stackops.ecs_webstack.network_sg_delete_plan }}                        -> {'revoke': [...], 'order': [...]}

The derivation lives in plugins/module_utils/network.py (service_security_groups, network_services_errors,
security_group_delete_plan), beside the comparison of the same groups; these filters only turn its ComparisonError
into AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import network as derivations
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


network_services_errors = comparison_filter(derivations.network_services_errors)
network_service_security_groups = comparison_filter(derivations.service_security_groups)
network_sg_delete_plan = comparison_filter(derivations.security_group_delete_plan)


class FilterModule(object):
    def filters(self):
        return {
            "network_services_errors": network_services_errors,
            "network_service_security_groups": network_service_security_groups,
            "network_sg_delete_plan": network_sg_delete_plan,
        }
