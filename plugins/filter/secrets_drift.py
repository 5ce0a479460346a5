# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would community.aws.secretsmanager_secret change these secrets?

The comparison lives in plugins/module_utils/secrets.py, which says what is compared and how; these
filters only turn its ComparisonError into AnsibleFilterError.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import secrets as comparators
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


secrets_drift = comparison_filter(comparators.secrets_drift)
secrets_read_covers = comparison_filter(comparators.secrets_read_covers)


class FilterModule(object):
    def filters(self):
        return {
            "secrets_drift": secrets_drift,
            "secrets_read_covers": secrets_read_covers,
        }
