"""atlas_access_list_info and atlas_cluster_info against the in-process stand-in."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "atlas"))

from atlas_testlib import PROJECT_ID, auth_args, run_module, standin  # noqa: E402,F401  pylint: disable=unused-import

from ansible_collections.stackops.ecs_webstack.plugins.modules import (  # noqa: E402
    atlas_access_list,
    atlas_access_list_info,
    atlas_cluster_info,
)


def test_access_list_info_filters_by_prefix_and_reports_status(standin):
    params = dict(auth_args(standin), project_id=PROJECT_ID)
    run_module(atlas_access_list.main, dict(params, entries=[
        {"ip_address": "192.0.2.7", "comment": "managed-by:x"}, {"cidr_block": "198.51.100.0/24", "comment": "hand"}]))
    standin.clear()
    result, failed = run_module(atlas_access_list_info.main, dict(params, comment_prefix="managed-by:", with_status=True))
    assert not failed, result
    assert result["changed"] is False
    assert result["values"] == ["192.0.2.7/32"]
    assert result["entries"][0]["STATUS"] in ("PENDING", "ACTIVE")
    assert [r["method"] for r in standin.api_requests()] == ["GET", "GET"]  # list + one status


def test_cluster_info_returns_the_srv_string(standin):
    result, failed = run_module(atlas_cluster_info.main, dict(auth_args(standin), project_id=PROJECT_ID,
                                                              name="webstack-local"))
    assert not failed, result
    assert result["state_name"] == "IDLE"
    assert result["connection_strings"]["standardSrv"] == "mongodb+srv://webstack-local.x1y2z.mongodb.net"
    assert "links" not in result["cluster"]


def test_cluster_info_lists_all_and_reports_missing(standin):
    result, failed = run_module(atlas_cluster_info.main, dict(auth_args(standin), project_id=PROJECT_ID))
    assert not failed and [c["name"] for c in result["clusters"]] == ["webstack-local"]
    result, failed = run_module(atlas_cluster_info.main, dict(auth_args(standin), project_id=PROJECT_ID, name="nope"))
    assert failed and result["error"]["error_code"] == "CLUSTER_NOT_FOUND"
