# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Type checks of inventory values for the roles' validate.yml and deploy.yml's first play.

A role's meta/argument_specs.yml is checked by Ansible only when the role itself runs (in deploy.yml's
second play, after the roles before it changed the account), and Jinja's ``| int`` and ``| bool`` turn
``abc`` into 0 and ``maybe`` into false without a word. These filters apply the argument spec's types,
elements, choices and sub-options to the values first, with messages that name the variable the user set:

    {{ values | stackops.ecs_webstack.type_errors(spec, names) }}
    {{ values | stackops.ecs_webstack.role_type_errors(role_path, names) }}   # spec from the role
    {{ role_path | stackops.ecs_webstack.role_option_names }}                 # the role's variables
    {{ names | stackops.ecs_webstack.var_labels(role_path) }}                 # name -> name to show

``values`` maps a variable to its value, ``spec`` a variable to its argument spec (``type``, ``elements``,
``choices``, ``options``, ``no_log``), and ``names`` a role variable to the variable the user set (deploy.yml
passes webstack_backend_cpu as ecs_service_cpu); unlisted variables are shown by their own names. The types
follow Ansible's own conversions where they are unambiguous (an integer may be written "256", a boolean
"yes"), but are stricter where Ansible guesses: true is no integer, a comma-separated string is no list and
"k=v" no mapping. Values of no_log options and secret-looking keys are never shown.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import decimal
import os
import re
from collections.abc import Mapping

import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

_SECRET = re.compile(r"(value|secret|password|passwd|token|private_key|private)$", re.I)
_SPEC_CACHE = {}
_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "path": "a string",
    "list": "a list",
    "dict": "a mapping",
}
_HOW = {
    "int": "write a whole number, without units or decimals",
    "float": "write a number, without units",
    "list": "give a YAML list (with -e, as JSON: -e '{{\"{label}\": [...]}}')",
    "dict": "give a YAML mapping (with -e, as JSON: -e '{{\"{label}\": {{...}}}}')",
}


def _kind(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _shown(value, secret):
    if secret:
        return _kind(value)
    if isinstance(value, str):
        text = "'%s'" % value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = repr(value) if not isinstance(value, (list, tuple, Mapping)) else str(_plain(value))
    return text if len(text) <= 80 else text[:77] + "..."


def _plain(value):
    if isinstance(value, Mapping):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        try:
            number = decimal.Decimal(value.strip())
        except decimal.DecimalException:
            return False
        return number.is_finite() and number == number.to_integral_value() and "e" not in value.lower()
    return False


def _is_float(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            return decimal.Decimal(value.strip()).is_finite()
        except decimal.DecimalException:
            return False
    return False


def _is_bool(value):
    if isinstance(value, bool):
        return True
    if isinstance(value, (str, int, float)):
        try:
            boolean(value, strict=True)
        except TypeError:
            return False
        return True
    return False


def _is_str(value):
    # Ansible converts any scalar to a string; a list or a mapping is a mistake.
    return isinstance(value, (str, int, float, bool))


_CHECKS = {
    "int": _is_int,
    "float": _is_float,
    "bool": _is_bool,
    "str": _is_str,
    "path": _is_str,
    "list": lambda value: isinstance(value, (list, tuple)),
    "dict": lambda value: isinstance(value, Mapping),
}


def _same(value, choice):
    if isinstance(value, str) or isinstance(choice, str):
        return str(value) == str(choice)
    return value == choice


def _value_errors(label, value, spec, secret):
    """Errors of one value against one spec (type, choices, elements, sub-options)."""
    kind = spec.get("type", "str")
    secret = secret or bool(spec.get("no_log"))
    check = _CHECKS.get(kind)
    if check is None:  # raw, or a type this collection does not use: only the choices
        choices = spec.get("choices")
        if choices and not any(_same(value, choice) for choice in choices):
            return ["%s must be one of %s (got %s)." % (label, ", ".join(str(c) for c in choices), _shown(value, secret))]
        return []
    if value is None:
        return ["%s is empty (null): give %s, or leave it out for the default." % (label, _TYPE_WORDS[kind])]
    if not check(value):
        how = _HOW.get(kind)
        how = (": " + how.format(label=label.split("[")[0])) if how else ""
        return ["%s must be %s (got %s)%s." % (label, _TYPE_WORDS[kind], _shown(value, secret), how)]
    choices = spec.get("choices")
    if choices and kind != "list" and not any(_same(value, choice) for choice in choices):
        return ["%s must be one of %s (got %s)." % (label, ", ".join(str(c) for c in choices), _shown(value, secret))]
    errors = []
    if kind == "list" and (spec.get("elements") or choices):
        # As in Ansible, the choices of a list apply to each of its elements.
        element_spec = {"type": spec.get("elements") or "raw", "choices": choices}
        for index, item in enumerate(value):
            where = "%s[%d]" % (label, index)
            if element_spec["type"] == "dict" and spec.get("options"):
                errors += _options_errors(where, item, spec["options"], secret)
            elif item is None:
                errors.append("%s is empty (null): give %s." % (where, _TYPE_WORDS.get(element_spec["type"], "a value")))
            else:
                errors += _value_errors(where, item, element_spec, secret)
    elif kind == "dict" and spec.get("options"):
        errors += _options_errors(label, value, spec["options"], secret)
    return errors


def _options_errors(label, value, options, secret):
    if not isinstance(value, Mapping):
        return ["%s must be a mapping with %s (got %s)." % (label, ", ".join(sorted(options)), _shown(value, secret))]
    errors = []
    unknown = sorted(str(k) for k in value if k not in options)
    if unknown:
        errors.append("%s has unknown key(s) %s: use %s." % (label, ", ".join(unknown), ", ".join(sorted(options))))
    for key in sorted(options):
        sub = options[key]
        if value.get(key) is None:
            if sub.get("required"):
                errors.append("%s needs %s (%s)." % (label, key, _TYPE_WORDS.get(sub.get("type", "str"), "a value")))
            continue
        errors += _value_errors("%s.%s" % (label, key), value[key], sub, secret or bool(_SECRET.search(key)))
    return errors


def type_errors(values, spec, names=None):
    """Messages for the values that do not fit their argument spec, in the spec's order; [] when all fit.

    A variable missing from ``values`` is not checked (the role's default applies)."""
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("type_errors expects a mapping of variable names to values, got %s" % _kind(values))
    if not isinstance(spec, Mapping):
        raise AnsibleFilterError("type_errors expects an argument spec (a mapping), got %s" % _kind(spec))
    names = names or {}
    errors = []
    for name, option in spec.items():
        if name not in values:
            continue
        label = str(names.get(name) or name)
        errors += _value_errors(label, values[name], option or {}, bool(_SECRET.search(str(name))))
    return errors


def _role_spec(role_path):
    path = os.path.join(str(role_path), "meta", "argument_specs.yml")
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        raise AnsibleFilterError("no argument spec at %s" % path)
    cached = _SPEC_CACHE.get(path)
    if cached is None or cached[0] != mtime:
        with open(path, encoding="utf-8") as handle:
            options = ((yaml.safe_load(handle) or {}).get("argument_specs", {}).get("main", {}).get("options")) or {}
        cached = _SPEC_CACHE[path] = (mtime, options)
    return cached[1]


def role_type_errors(values, role_path, names=None):
    """type_errors with the spec of the role at role_path (meta/argument_specs.yml, entry point main)."""
    return type_errors(values, _role_spec(role_path), names)


def role_option_names(role_path):
    """The variables the role at role_path declares, in its argument spec's order."""
    return list(_role_spec(role_path))


def var_labels(names, role_path):
    """Every variable of the role mapped to the name messages show: ``names[var]`` when given, else var."""
    names = names or {}
    if not isinstance(names, Mapping):
        raise AnsibleFilterError("var_labels expects a mapping of role variables to the names the user set")
    return dict((name, str(names.get(name) or name)) for name in _role_spec(role_path))


class FilterModule(object):
    def filters(self):
        return {
            "type_errors": type_errors,
            "role_type_errors": role_type_errors,
            "role_option_names": role_option_names,
            "var_labels": var_labels,
        }
