# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lambda: keep the Atlas IP access list in step with the backend's ECS tasks.

Invoked by an EventBridge rule on "ECS Task State Change" for the stack's cluster.

* A task of the service reaches RUNNING: its ENI's public IP is admitted with the comment
  ``<mark> task:<first 12 chars of the task id>`` (one list read; one POST only when the entry
  is missing or carries another task's comment).
* A task reaches STOPPED: the entry whose comment names that task is deleted (the ENI is often
  gone by then, so the task id in the comment is the link, not the IP). If the IP was already
  handed to a newer task, that task's RUNNING event re-labelled the entry and nothing is deleted.

The deployment zip holds this file plus atlas_client.py and atlas_entries.py from the
collection's module_utils (the same client the Ansible modules use). Settings (environment):
ATLAS_PROJECT_ID, ATLAS_COMMENT_MARK, ATLAS_SECRET_ID (Secrets Manager secret with JSON
``public_key``/``private_key`` or ``client_id``/``client_secret``), ECS_SERVICE_GROUP
(``service:<name>``), optional MONGODB_ATLAS_BASE_URL.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import logging
import os

try:  # inside the Lambda zip
    from atlas_client import AtlasClient, AtlasError
    from atlas_entries import entry_key, entry_value, normalize_entries
except ImportError:  # in the collection (tests)
    from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import AtlasClient, AtlasError
    from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import (
        entry_key,
        entry_value,
        normalize_entries,
    )

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

_CACHE = {}  # warm invocations reuse the Atlas client (and so its token or Digest nonce)


def task_comment(mark, task_arn):
    task_id = (task_arn or "").rsplit("/", 1)[-1]
    return "%s task:%s" % (mark, task_id[:12])


def eni_id(detail):
    for attachment in detail.get("attachments") or []:
        if attachment.get("type") not in ("eni", "ElasticNetworkInterface"):
            continue
        for item in attachment.get("details") or []:
            if item.get("name") == "networkInterfaceId":
                return item.get("value")
    return None


def public_ip(ec2, eni):
    try:
        answer = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])
    except Exception as err:  # noqa: BLE001 - botocore ClientError without importing botocore
        LOG.warning("cannot describe %s: %s", eni, err)
        return None
    for item in answer.get("NetworkInterfaces") or []:
        return (item.get("Association") or {}).get("PublicIp")
    return None


def handle(event, atlas, ec2, settings):
    """Apply one ECS task state change. Returns what was done (for logs and tests)."""
    detail = event.get("detail") or {}
    if event.get("detail-type") != "ECS Task State Change" or detail.get("group") != settings["group"]:
        return {"action": "ignored", "reason": "not a task of %s" % settings["group"]}
    project = settings["project_id"]
    comment = task_comment(settings["mark"], detail.get("taskArn"))
    last = detail.get("lastStatus")
    if last == "RUNNING" and detail.get("desiredStatus", "RUNNING") == "RUNNING":
        eni = eni_id(detail)
        address = public_ip(ec2, eni) if eni else None
        if not address:
            return {"action": "none", "reason": "task has no public IP (NAT egress?)"}
        wanted = normalize_entries([{"ip_address": address, "comment": comment}])[0]
        for entry in atlas.list_access_list(project):
            if entry_key(entry) == wanted["key"] and entry.get("comment") == comment:
                return {"action": "none", "reason": "already admitted", "entry": wanted["key"]}
        atlas.add_access_list_entries(project, [wanted["payload"]])
        return {"action": "added", "entry": wanted["key"], "comment": comment}
    if last == "STOPPED":
        removed = []
        for entry in atlas.list_access_list(project):
            if entry.get("comment") == comment:
                atlas.delete_access_list_entry(project, entry_value(entry))
                removed.append(entry_key(entry))
        return {"action": "removed" if removed else "none", "entries": removed, "comment": comment}
    return {"action": "none", "reason": "status %s" % last}


def _settings(env):
    return {
        "project_id": env["ATLAS_PROJECT_ID"],
        "mark": env["ATLAS_COMMENT_MARK"],
        "group": env["ECS_SERVICE_GROUP"],
        "secret_id": env["ATLAS_SECRET_ID"],
        "base_url": env.get("MONGODB_ATLAS_BASE_URL") or None,
    }


def _atlas(settings, secrets):
    client = _CACHE.get("atlas")
    if client is None:
        creds = json.loads(secrets.get_secret_value(SecretId=settings["secret_id"])["SecretString"])
        client = AtlasClient(
            base_url=creds.get("base_url") or settings["base_url"],
            public_key=creds.get("public_key"), private_key=creds.get("private_key"),
            client_id=creds.get("client_id"), client_secret=creds.get("client_secret"),
            project_id=settings["project_id"], timeout=10, max_retries=4)
        _CACHE["atlas"] = client
    return client


def handler(event, context, clients=None):
    """Lambda entry point. ``clients`` ({"secretsmanager", "ec2"}) is for tests."""
    settings = _settings(os.environ)
    if clients is None:
        # boto3 ships in the Lambda runtime; imported here so tests can run without it.
        import boto3  # pylint: disable=import-outside-toplevel

        clients = _CACHE.setdefault("aws", {"secretsmanager": boto3.client("secretsmanager"),
                                            "ec2": boto3.client("ec2")})
    try:
        result = handle(event, _atlas(settings, clients["secretsmanager"]), clients["ec2"], settings)
    except AtlasError as err:
        LOG.error("Atlas access list sync failed: %s", err)
        raise
    LOG.info(json.dumps(result))
    return result
