"""Every default is defined once.

The stack-wide defaults live in roles/webstack/defaults/main.yml (documented, with the same values, in its argument spec;
tests/unit/roles/test_role_contracts.py keeps those two equal). Every play imports them, so:

* no playbook gives a webstack_* setting a default of its own (``webstack_backend_port | default(8080)``),
* no other defaults or vars file defines a stack-wide setting again,
* where a role keeps a stand-alone fallback (``webstack_name | default('webstack')`` in its defaults, for the role used
  without the playbooks) or a playbook falls back on another role's setting (``network_alb | default(false)``), the
  fallback must say what the owner's defaults/main.yml says, so the two can never drift.
"""

import ast
import glob
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = os.path.join(REPO, "roles")
_MISSING = object()


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def stack_defaults():
    return load(os.path.join(ROLES, "webstack", "defaults", "main.yml"))


def stack_options():
    return load(os.path.join(ROLES, "webstack", "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]


def role_defaults():
    """Every role setting with its default, by variable (roles/<role>/defaults/main.yml)."""
    found = {}
    for path in glob.glob(os.path.join(ROLES, "*", "defaults", "main.yml")):
        found.update(load(path))
    return found


def fallbacks(text):
    """(variable, the text of its default(...) argument) for every ``variable | default(...)`` in text."""
    for match in re.finditer(r"\b([a-z][a-z0-9_]*)\s*\|\s*default\(", text):
        depth, start = 1, match.end()
        for index in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            if depth == 0:
                yield match.group(1), text[start:index].strip()
                break


def literal(argument):
    """The Python value of a literal default argument ('x', 8080, false, {}, []), else _MISSING (an expression)."""
    first = argument.split(",")[0].strip() if not argument.startswith(("{", "[")) else argument
    first = {"true": "True", "false": "False", "none": "None"}.get(first, first)
    try:
        return ast.literal_eval(first)
    except (ValueError, SyntaxError):
        return _MISSING


def files(*patterns):
    for pattern in patterns:
        yield from sorted(glob.glob(os.path.join(REPO, pattern), recursive=True))


def playbook_defaults_of_stack_settings(paths, options):
    return ["%s: %s | default(%s)" % (os.path.relpath(path, REPO), name, argument)
            for path in paths for name, argument in fallbacks(open(path, encoding="utf-8").read()) if name in options]


def disagreeing_fallbacks(paths, owners):
    """Fallbacks with a literal value that differs from the owner's default."""
    wrong = []
    for path in paths:
        for name, argument in fallbacks(open(path, encoding="utf-8").read()):
            value = literal(argument)
            owner = owners.get(name, _MISSING)
            # Only literal defaults can be compared; a templated one (a role's default built from other settings)
            # is what the role itself works out, and a fallback there covers a play without that role.
            if owner is _MISSING or (isinstance(owner, str) and "{{" in owner):
                continue
            if value is not _MISSING and value != owner:
                where = os.path.relpath(path, REPO)
                wrong.append("%s: %s | default(%s), but its default is %r" % (where, name, argument, owner))
    return wrong


def test_the_checker_finds_a_default_given_twice(tmp_path):
    planted = tmp_path / "deploy.yml"
    planted.write_text('x: "{{ webstack_backend_port | default(8080) }}"\ny: "{{ network_alb | default(true) }}"\n')
    assert playbook_defaults_of_stack_settings([str(planted)], stack_options()) == [
        os.path.relpath(str(planted), REPO) + ": webstack_backend_port | default(8080)"]
    assert len(disagreeing_fallbacks([str(planted)], role_defaults())) == 1
    assert list(fallbacks("{{ a | default(lookup('env', 'X', default='y')) }}")) == [
        ("a", "lookup('env', 'X', default='y')")]


def test_no_playbook_gives_a_stack_setting_a_default_of_its_own():
    found = playbook_defaults_of_stack_settings(list(files("playbooks/**/*.yml")), stack_options())
    assert not found, "defined in roles/webstack/defaults/main.yml already (every play imports it):\n" + "\n".join(found)


def test_no_other_defaults_or_vars_file_defines_a_stack_setting():
    options = stack_options()
    again = []
    for path in files("roles/*/defaults/*.yml", "roles/*/vars/*.yml"):
        if os.path.dirname(os.path.dirname(path)) == os.path.join(ROLES, "webstack"):
            continue
        again += ["%s: %s" % (os.path.relpath(path, REPO), name) for name in load(path) if name in options]
    assert not again, "stack-wide settings defined outside roles/webstack/defaults/main.yml:\n" + "\n".join(again)


def test_every_optional_stack_setting_has_its_default_in_the_stack_role():
    defaults, options = stack_defaults(), stack_options()
    assert sorted(name for name, spec in options.items() if not spec.get("required")) == sorted(defaults)


@pytest.mark.parametrize("where", ["roles/*/defaults/*.yml", "roles/*/tasks/*.yml", "roles/*/meta/argument_specs.yml",
                                   "roles/*/vars/*.yml", "playbooks/**/*.yml"])
def test_every_fallback_says_what_the_owners_default_says(where):
    owners = dict(role_defaults())
    owners.update(stack_defaults())
    wrong = disagreeing_fallbacks(list(files(where)), owners)
    assert not wrong, "\n".join(wrong)
