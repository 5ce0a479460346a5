# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets Manager secrets the secrets role makes: the one comparison with what
secretsmanager_secrets_info read.

The filter of the same name (plugins/filter/secrets_drift.py) hands these comparators to the roles:

    {{ secrets_read | stackops.ecs_webstack.secrets_drift(wanted) }}  -> {name: ["tag Owner is not wanted", ...]}
    {{ secrets_read | stackops.ecs_webstack.secrets_read_covers(names, compared=names) }}  -> true / false

secrets_read is what secretsmanager_secrets_info returns (name_prefix, secrets, compared); wanted is a
list of dicts: name, description (default ""), kms_key_id (default none: the account's key), tags
(none leaves tags alone), purge_tags (default true) and overwrite (default true), as the role passes
them to secretsmanager_secret. Values are never given here: the info module compared them
(secrets[name].value_matches).

Compared as secretsmanager_secret compares: a secret scheduled for deletion is restored; with
overwrite the description, the KMS key and the value must be equal (without it the module never
updates them, so they are not compared); rotation is cancelled when on; tags with compare_aws_tags
and purge_tags. Not compared: the resource policy (the roles set none; the module would delete a
hand-made one when it runs for another reason) and replication (the roles set none).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import tag_differences


def _read_secrets(read):
    if not isinstance(read, dict):
        raise ComparisonError("secrets_drift expects the result of secretsmanager_secrets_info, got %r" % type(read))
    return read.get("secrets") or {}


def secrets_read_covers(read, names, compared=None):
    """Whether read tells about every name (all under its prefix) and compared the values of compared."""
    if not isinstance(read, dict) or not read.get("name_prefix") or "secrets" not in read:
        return False
    prefix = read["name_prefix"]
    if any(not name.startswith(prefix) for name in names):
        return False
    secrets = read.get("secrets") or {}
    done = set(read.get("compared") or [])
    for name in compared or []:
        secret = secrets.get(name)
        if secret is not None and not secret.get("deleted") and name not in done:
            return False
    return True


def _secret_drift(current, wanted):
    if current is None:
        return ["missing"]
    out = []
    if current.get("deleted"):
        out.append("scheduled for deletion")
    if wanted.get("overwrite", True):
        if (wanted.get("description") or "") != (current.get("description") or ""):
            out.append("description")
        if (wanted.get("kms_key_id") or None) != (current.get("kms_key_id") or None):
            out.append("kms key")
        if not current.get("deleted") and current.get("value_matches") is not True:
            out.append("value" if current.get("value_matches") is False else "value (not read)")
    if current.get("rotation_enabled"):
        out.append("rotation")
    out.extend(tag_differences(current.get("tags"), wanted.get("tags"), wanted.get("purge_tags", True)))
    return out


def secrets_drift(read, wanted):
    """{name: [what differs]} for each wanted secret; an empty list means the module would change nothing."""
    secrets = _read_secrets(read)
    if not isinstance(wanted, list):
        raise ComparisonError("secrets_drift expects a list of wanted secrets (dicts with a name)")
    out = {}
    for item in wanted:
        if not isinstance(item, dict) or not item.get("name"):
            raise ComparisonError("secrets_drift: every wanted secret needs a name, got %r" % (item,))
        out[item["name"]] = _secret_drift(secrets.get(item["name"]), item)
    return out
