"""Shared fixtures for the unit tests.

The collection's code imports itself as ``ansible_collections.stackops.ecs_webstack``; the
Makefile links the repository under ``.build/collections/ansible_collections/stackops/ecs_webstack``
and this file puts that directory on ``sys.path`` so the tests import the same way.
"""

import json
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(REPO, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "stackops", "ecs_webstack")

if not os.path.islink(LINK) and not os.path.isdir(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(REPO, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

# In-process moto (mock_aws) gets the same AWS-behaviour patches as the moto server the other
# tests use: tools/emulators/moto_patches.py is the one place where moto is corrected.
sys.path.insert(0, os.path.join(REPO, "tools", "emulators"))
import moto_patches  # noqa: E402

moto_patches.apply()


class ModuleExit(Exception):
    """Raised in place of exit_json/fail_json so a test can read the module's result."""

    def __init__(self, result, failed):
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with the given args; return (result, failed)."""
    from ansible.module_utils import basic
    from ansible.module_utils.testing import patch_module_args

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ModuleExit(kwargs, False)

    def fail_json(self, msg="", **kwargs):
        kwargs["msg"] = msg
        raise ModuleExit(kwargs, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def runner(main, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        with patch_module_args(args):
            try:
                main()
            except ModuleExit as done:
                return done.result, done.failed
        raise AssertionError("the module returned without exit_json or fail_json")

    return runner


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials and a region for in-process moto (never a real account)."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_URL", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)


def dumps(value):
    return json.dumps(value, sort_keys=True)
