"""Shared helpers for the Atlas unit tests: import paths, an in-process stand-in, a module runner.

Imported by tests/unit/atlas/conftest.py and by tests/unit/plugins/modules/test_atlas_*.py
(which add this directory to sys.path first).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CONTRACT = os.path.join(REPO, "tests", "contracts", "atlas-admin-v2.subset.yaml")
SHARED_CONTRACT = os.path.join(os.path.dirname(REPO), "shared", "contracts", "atlas-admin-v2.subset.yaml")
PROJECT_ID = "64b7f0c2a1b2c3d4e5f60718"
PUBLIC_KEY = "local-public-key"
PRIVATE_KEY = "local-private-key"
CLIENT_ID = "mdb_sa_id_local"
CLIENT_SECRET = "mdb_sa_sk_local"


def _collections_root():
    """A directory holding ansible_collections/stackops/ecs_webstack -> this repository."""
    built = os.path.join(REPO, ".build", "collections")
    link = os.path.join(built, "ansible_collections", "stackops", "ecs_webstack")
    if os.path.exists(os.path.join(link, "galaxy.yml")):
        return built
    tmp = tempfile.mkdtemp(prefix="atlas-tests-")
    os.makedirs(os.path.join(tmp, "ansible_collections", "stackops"))
    os.symlink(REPO, os.path.join(tmp, "ansible_collections", "stackops", "ecs_webstack"))
    return tmp


for _path in (_collections_root(), os.path.join(REPO, "tools", "emulators"),
              os.path.join(REPO, "roles", "atlas_access", "files")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import atlas_standin  # noqa: E402  (tools/emulators)


class StandIn:
    """A running in-process stand-in with helpers to read its request log."""

    def __init__(self, **cfg):
        self.server = atlas_standin.serve_in_thread(cfg=cfg, record_exchanges=True)
        self.url = self.server.url
        self.state = self.server.state

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def clear(self):
        with self.state.lock:
            self.state.requests = []
        self.server.exchanges = []

    def requests(self, kind=None, method=None, path_suffix=None):
        out = []
        for record in list(self.state.requests):
            if kind and record["kind"] != kind:
                continue
            if method and record["method"] != method:
                continue
            if path_suffix and not record["path"].endswith(path_suffix):
                continue
            out.append(record)
        return out

    def api_requests(self):
        """Authenticated API calls (no 401 challenges, no token calls)."""
        return [r for r in self.state.requests if r["kind"] in ("read", "write")]

    def list_reads(self):
        return self.requests(kind="read", method="GET", path_suffix="/accessList")

    def writes(self):
        return self.requests(kind="write")

    def entries(self):
        project = self.state.projects[PROJECT_ID]
        with self.state.lock:
            return [dict(item["entry"]) for item in project["entries"].values()]

    def fault(self, **spec):
        spec.setdefault("count", 1)
        with self.state.lock:
            self.state.faults.append(spec)


@pytest.fixture
def standin():
    server = StandIn(pending_seconds=0.2)
    try:
        yield server
    finally:
        server.stop()


def auth_args(server):
    return {"api_base_url": server.url, "public_key": PUBLIC_KEY, "private_key": PRIVATE_KEY}


def run_module(main, args, check=False, diff=False):
    """Run a module's main() in-process. Returns (result dict, failed bool)."""
    from ansible.module_utils.testing import patch_module_args

    full = dict(args)
    full["_ansible_check_mode"] = check
    full["_ansible_diff"] = diff
    out = io.StringIO()
    code = 0
    with patch_module_args(full), contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exc:
            code = exc.code or 0
    text = out.getvalue()
    result = json.loads(text[text.index("{"):])
    return result, bool(result.get("failed")) or code != 0
