"""secrets_drift / secrets_read_covers: what community.aws.secretsmanager_secret would change, from one read."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.secrets_drift import secrets_drift, secrets_read_covers

TAGS = {"webstack:stack": "s", "webstack:env": "dev", "ManagedBy": "stackops.ecs_webstack"}


def secret(**kw):
    out = dict(arn="arn:aws:secretsmanager:us-east-1:1:secret:s-dev/backend/uri-AbC", name="s-dev/backend/uri",
               description="Mongo", kms_key_id=None, tags=dict(TAGS), deleted=False, rotation_enabled=False,
               value_matches=True)
    out.update(kw)
    return out


def read(*secrets, compared=None):
    found = dict((s["name"], s) for s in secrets)
    return {"name_prefix": "s-dev/", "secrets": found, "compared": sorted(found) if compared is None else compared}


WANTED = {"name": "s-dev/backend/uri", "description": "Mongo", "kms_key_id": None, "tags": TAGS}


def test_in_sync_is_empty():
    assert secrets_drift(read(secret()), [WANTED]) == {"s-dev/backend/uri": []}


def test_missing():
    assert secrets_drift(read(), [WANTED]) == {"s-dev/backend/uri": ["missing"]}


def test_value_description_kms_and_tags_are_named():
    current = secret(value_matches=False, description="by hand", kms_key_id="arn:aws:kms:us-east-1:1:key/x",
                     tags=dict(TAGS, Owner="me", **{"webstack:env": "prod"}))
    assert secrets_drift(read(current), [WANTED])["s-dev/backend/uri"] == [
        "description", "kms key", "value", "tag webstack:env is 'prod', wants 'dev'", "tag Owner is not wanted"]


def test_purge_tags_false_keeps_other_tags():
    current = secret(tags=dict(TAGS, Owner="me"))
    assert secrets_drift(read(current), [dict(WANTED, purge_tags=False)])["s-dev/backend/uri"] == []
    assert secrets_drift(read(current), [dict(WANTED, tags=None)])["s-dev/backend/uri"] == []


def test_a_value_not_read_is_not_taken_as_equal():
    assert secrets_drift(read(secret(value_matches=None)), [WANTED])["s-dev/backend/uri"] == ["value (not read)"]


def test_without_overwrite_only_restore_rotation_and_tags_count():
    # secretsmanager_secret with overwrite=false never updates description, KMS key or value.
    current = secret(value_matches=None, description="by hand", tags=dict(TAGS, Owner="me"))
    assert secrets_drift(read(current), [dict(WANTED, overwrite=False)])["s-dev/backend/uri"] == ["tag Owner is not wanted"]
    current = secret(deleted=True, rotation_enabled=True, value_matches=None)
    assert secrets_drift(read(current), [dict(WANTED, overwrite=False)])["s-dev/backend/uri"] == ["scheduled for deletion", "rotation"]


def test_empty_description_and_kms_compare_as_the_module_does():
    current = secret(description="")
    assert secrets_drift(read(current), [dict(WANTED, description="")])["s-dev/backend/uri"] == []
    assert secrets_drift(read(current), [dict(WANTED, description="Mongo")])["s-dev/backend/uri"] == ["description"]
    assert secrets_drift(read(secret()), [dict(WANTED, kms_key_id="")])["s-dev/backend/uri"] == []


def test_covers():
    full = read(secret())
    assert secrets_read_covers(full, ["s-dev/backend/uri"], ["s-dev/backend/uri"])
    assert secrets_read_covers(full, ["s-dev/backend/new"], ["s-dev/backend/new"])  # missing: nothing to compare
    assert not secrets_read_covers(full, ["other/x"])
    assert not secrets_read_covers(read(secret(), compared=[]), ["s-dev/backend/uri"], ["s-dev/backend/uri"])
    assert secrets_read_covers(read(secret(), compared=[]), ["s-dev/backend/uri"])
    assert not secrets_read_covers({}, ["s-dev/backend/uri"])
    assert not secrets_read_covers({"name_prefix": "s-dev/"}, ["s-dev/backend/uri"])


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError):
        secrets_drift("nope", [WANTED])
    with pytest.raises(AnsibleFilterError):
        secrets_drift(read(), [{"description": "no name"}])
