"""Cheap checks that every role's defaults, argument_specs and generated docs agree.

prometheus.prometheus-style: a variable with a default must be declared in
meta/argument_specs.yml with the same default, and every declared option with a default
must be in defaults/main.yml. The role pages under docs/roles/ are generated from the
argument_specs (tools/gen_role_docs.py) and must be current.
"""

import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES_DIR = os.path.join(REPO, "roles")
ROLES = sorted(
    name for name in os.listdir(ROLES_DIR) if os.path.isfile(os.path.join(ROLES_DIR, name, "meta", "argument_specs.yml"))
)


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_every_role_has_the_required_files():
    for name in sorted(os.listdir(ROLES_DIR)):
        for required in ("meta/argument_specs.yml", "defaults/main.yml", "README.md", "tasks/main.yml"):
            assert os.path.isfile(os.path.join(ROLES_DIR, name, required)), f"roles/{name}/{required} is missing"


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_specs(role):
    defaults = _load(os.path.join(ROLES_DIR, role, "defaults", "main.yml"))
    options = _load(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]
    undeclared = sorted(set(defaults) - set(options))
    assert not undeclared, f"roles/{role}: defaults not in argument_specs: {undeclared}"
    for name, spec in options.items():
        prefix = role + "_"
        assert name.startswith(prefix), f"roles/{role}: option {name} lacks the role prefix {prefix}"
        assert spec.get("description"), f"roles/{role}: option {name} has no description"
        if "default" in spec:
            assert name in defaults, f"roles/{role}: {name} has a default in argument_specs but not in defaults/main.yml"
            assert defaults[name] == spec["default"], (
                f"roles/{role}: default of {name} differs: defaults/main.yml={defaults[name]!r} "
                f"argument_specs={spec['default']!r}"
            )
        elif not spec.get("required"):
            assert name in defaults, f"roles/{role}: optional {name} has no default anywhere"


def test_role_docs_are_current():
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "tools", "gen_role_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
