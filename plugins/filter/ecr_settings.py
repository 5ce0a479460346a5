# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would community.aws.ecs_ecr change this repository?

    {{ lookup_result.settings | stackops.ecs_webstack.ecr_settings_drift(wanted) }}  -> ["scan on push", ...]

current is what ecr_image_info returns with include_settings (image_tag_mutability, scan_on_push,
encryption_type, kms_key, lifecycle_policy, repository_policy); wanted has the same keys as the
ecr role sets them. The ecr role runs ecs_ecr, which reads each repository five times, only for a
repository where this list is not empty.

The comparison is module_utils/ecr.py's settings_drift (which says what is compared); this filter only
hands it to the role.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import settings_drift
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


ecr_settings_drift = comparison_filter(settings_drift)


class FilterModule(object):
    def filters(self):
        return {"ecr_settings_drift": ecr_settings_drift}
