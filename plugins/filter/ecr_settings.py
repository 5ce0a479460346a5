# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would community.aws.ecs_ecr change this repository?

    {{ lookup_result.settings | stackops.ecs_webstack.ecr_settings_drift(wanted) }}  -> ["scan on push", ...]

current is what ecr_image_info returns with include_settings (image_tag_mutability, scan_on_push,
encryption_type, kms_key, lifecycle_policy, repository_policy); wanted has the same keys as the
ecr role sets them. The ecr role runs ecs_ecr, which reads each repository five times, only for a
repository where this list is not empty.

Compared as ecs_ecr compares: policies with amazon.aws's compare_policies (key order and the order
of string lists do not matter); encryption only when KMS is wanted (ecs_ecr passes no encryption
setting otherwise); the access policy only when one is wanted (ecs_ecr leaves it alone otherwise).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.drift import json_document


def ecr_settings_drift(current, wanted):
    """The names of the settings that differ, empty when ecs_ecr would change nothing."""
    if not isinstance(current, dict) or not isinstance(wanted, dict):
        raise AnsibleFilterError("ecr_settings_drift expects two dicts: the settings read and the settings wanted")
    if not current:
        return ["repository settings not read"]
    out = []
    if to_text(current.get("image_tag_mutability")).upper() != to_text(wanted.get("image_tag_mutability")).upper():
        out.append("image tag mutability")
    if bool(current.get("scan_on_push")) != bool(wanted.get("scan_on_push")):
        out.append("scan on push")
    if to_text(wanted.get("encryption_type")).upper() == "KMS" and (
        to_text(current.get("encryption_type")).upper() != "KMS" or current.get("kms_key") != wanted.get("kms_key")
    ):
        out.append("encryption")
    lifecycle = json_document(wanted.get("lifecycle_policy"), "ecr lifecycle_policy") or None
    if lifecycle is not None and (current.get("lifecycle_policy") is None
                                  or compare_policies(current.get("lifecycle_policy"), lifecycle)):
        out.append("lifecycle policy")
    access = json_document(wanted.get("repository_policy"), "ecr_repository_policy") or None
    if access is not None and ("repository_policy" not in current or current.get("repository_policy") is None
                               or compare_policies(current.get("repository_policy"), access)):
        out.append("repository policy")
    return out


class FilterModule(object):
    def filters(self):
        return {"ecr_settings_drift": ecr_settings_drift}
