"""The collection's dependencies: bounded to the tested major, the same in galaxy.yml and requirements.yml, and
satisfied by what is installed (the `ansible` package's amazon.aws and community.aws)."""

import json
import re
from pathlib import Path

import ansible_collections
import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion

REPO = Path(__file__).resolve().parents[3]
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
REQUIREMENTS = {c["name"]: c["version"] for c in yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]}


def _installed(name):
    namespace, collection = name.split(".")
    for root in ansible_collections.__path__:
        manifest = Path(root) / namespace / collection / "MANIFEST.json"
        if manifest.exists():
            return json.loads(manifest.read_text())["collection_info"]["version"]
    raise AssertionError("%s is not installed (pip install -r requirements-dev.txt)" % name)


def _bounds(spec):
    """(lower, upper) of '>=A,<B'; a spec without both is an error that says what to write."""
    match = re.fullmatch(r">=\s*([0-9.]+)\s*,\s*<\s*([0-9.]+)", spec.strip())
    assert match, "%r needs a lower and an upper bound: '>=X.Y.Z,<NEXT_MAJOR.0.0'" % spec
    return match.groups()


@pytest.mark.parametrize("name", ["amazon.aws", "community.aws"])
def test_bounded_to_the_tested_major_and_the_same_in_both_files(name):
    spec = GALAXY["dependencies"][name]
    assert REQUIREMENTS[name] == spec, "requirements.yml says %r for %s, galaxy.yml %r" % (REQUIREMENTS[name], name, spec)
    lower, upper = _bounds(spec)
    assert LooseVersion(upper) == LooseVersion("%d.0.0" % (int(lower.split(".")[0]) + 1)), (
        "%s: the upper bound %s should be the next major after %s (the one not yet tested)" % (name, upper, lower))


@pytest.mark.parametrize("name", ["amazon.aws", "community.aws"])
def test_the_installed_version_is_within_the_bounds(name):
    lower, upper = _bounds(GALAXY["dependencies"][name])
    installed = _installed(name)
    assert LooseVersion(lower) <= LooseVersion(installed) < LooseVersion(upper), (name, installed, lower, upper)
