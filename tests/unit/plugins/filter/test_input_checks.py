"""Type checks of inventory values against a role's argument spec, before anything reads them with
| int or | bool, with messages that name the variable the user set."""

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.input_checks import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.input_checks import role_option_names
from ansible_collections.stackops.ecs_webstack.plugins.filter.input_checks import role_type_errors
from ansible_collections.stackops.ecs_webstack.plugins.filter.input_checks import type_errors
from ansible_collections.stackops.ecs_webstack.plugins.filter.input_checks import var_labels

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
ROLES = os.path.join(REPO, "roles")
SPEC = {
    "port": {"type": "int"},
    "flag": {"type": "bool"},
    "ratio": {"type": "float"},
    "name": {"type": "str"},
    "mode": {"type": "str", "choices": ["a", "b"]},
    "zones": {"type": "list", "elements": "str"},
    "ports": {"type": "list", "elements": "int"},
    "tags": {"type": "dict"},
    "password": {"type": "str", "no_log": True},
    "items": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str", "required": True}, "value": {"type": "str"}, "weight": {"type": "int"}}},
    "anything": {"type": "raw"},
}


def test_filters_are_registered_under_their_names():
    assert sorted(FilterModule().filters()) == ["role_option_names", "role_type_errors", "type_errors", "var_labels"]


@pytest.mark.parametrize("name, value", [
    ("port", 8080), ("port", "8080"), ("port", " 8080 "), ("port", "8080.0"), ("port", 8080.0), ("port", -1),
    ("flag", True), ("flag", "yes"), ("flag", "False"), ("flag", "on"), ("flag", 0), ("flag", "1"),
    ("ratio", 0.5), ("ratio", "2"), ("ratio", 3),
    ("name", "web"), ("name", 12), ("mode", "a"),
    ("zones", []), ("zones", ["a", "b"]), ("ports", [80, "443"]), ("tags", {}), ("tags", {"a": 1}),
    ("items", [{"name": "x", "value": "s", "weight": "2"}]), ("anything", ["whatever"]),
])
def test_values_ansible_accepts_pass(name, value):
    assert type_errors({name: value}, SPEC) == []


@pytest.mark.parametrize("name, value, message", [
    ("port", "abc", "port must be an integer (got 'abc')"),
    ("port", "two", "port must be an integer (got 'two')"),
    ("port", "80.5", "port must be an integer (got '80.5')"),
    ("port", 80.5, "port must be an integer (got 80.5)"),
    ("port", "1e3", "port must be an integer (got '1e3')"),
    ("port", True, "port must be an integer (got true)"),
    ("port", [], "port must be an integer (got [])"),
    ("port", None, "port is empty (null)"),
    ("flag", "maybe", "flag must be true or false (got 'maybe')"),
    ("flag", "perhaps", "flag must be true or false (got 'perhaps')"),
    ("flag", 2, "flag must be true or false (got 2)"),
    ("flag", [], "flag must be true or false (got [])"),
    ("ratio", "fast", "ratio must be a number (got 'fast')"),
    ("name", ["a"], "name must be a string (got ['a'])"),
    ("mode", "c", "mode must be one of a, b (got 'c')"),
    ("zones", "a,b", "zones must be a list (got 'a,b')"),
    ("zones", ["a", {"b": 1}], "zones[1] must be a string"),
    ("ports", [80, "http"], "ports[1] must be an integer (got 'http')"),
    ("tags", "a=b", "tags must be a mapping (got 'a=b')"),
    ("items", [{"value": "s"}], "items[0] needs name"),
    ("items", [{"name": "x", "extra": 1}], "items[0] has unknown key(s) extra: use name, value, weight"),
    ("items", [{"name": "x", "weight": "heavy"}], "items[0].weight must be an integer (got 'heavy')"),
    ("items", ["x"], "items[0] must be a mapping"),
])
def test_wrong_types_say_so(name, value, message):
    errors = type_errors({name: value}, SPEC)
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_messages_use_the_name_the_user_set_and_say_what_to_do():
    errors = type_errors({"port": "abc", "flag": "maybe"}, SPEC, {"port": "webstack_backend_port"})
    assert errors == [
        "webstack_backend_port must be an integer (got 'abc'): write a whole number, without units or decimals.",
        "flag must be true or false (got 'maybe').",
    ]
    assert "-e '{\"zones\": [...]}'" in type_errors({"zones": "a"}, SPEC)[0]


def test_secret_values_are_never_shown():
    assert type_errors({"password": ["hunter2"]}, SPEC) == ["password must be a string (got a list)."]
    errors = type_errors({"items": [{"name": "x", "value": {"s3cret": 1}}]}, SPEC)
    assert errors == ["items[0].value must be a string (got a mapping)."] and "s3cret" not in errors[0]


def test_only_the_given_variables_are_checked():
    assert type_errors({}, SPEC) == []
    assert type_errors({"unknown": "x"}, SPEC) == []


def test_bad_arguments_raise():
    with pytest.raises(AnsibleFilterError):
        type_errors(["port"], SPEC)
    with pytest.raises(AnsibleFilterError):
        type_errors({}, ["port"])
    with pytest.raises(AnsibleFilterError):
        role_option_names(os.path.join(ROLES, "no_such_role"))


def _templated(value):
    """A template, or a list or mapping with one inside (network_services' backend port)."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, dict):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


@pytest.mark.parametrize("role", sorted(os.listdir(ROLES)))
def test_every_role_default_passes_its_own_spec(role):
    """The defaults that are not templates must fit the spec (the templated ones are checked by the e2e test)."""
    with open(os.path.join(ROLES, role, "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle) or {}
    plain = dict((k, v) for k, v in defaults.items() if not _templated(v))
    assert role_type_errors(plain, os.path.join(ROLES, role)) == []
    assert role_option_names(os.path.join(ROLES, role)) == list(yaml.safe_load(
        open(os.path.join(ROLES, role, "meta", "argument_specs.yml"), encoding="utf-8"))["argument_specs"]["main"]["options"])


def test_role_spec_with_user_names():
    path = os.path.join(ROLES, "ecs_service")
    errors = role_type_errors({"ecs_service_cpu": "abc", "ecs_service_wait": "maybe", "ecs_service_launch_type": "ec2"},
                              path, {"ecs_service_cpu": "webstack_backend_cpu"})
    assert errors[0].startswith("ecs_service_launch_type must be one of FARGATE, EC2 (got 'ec2')")
    assert any(e.startswith("webstack_backend_cpu must be an integer (got 'abc')") for e in errors)
    assert any(e.startswith("ecs_service_wait must be true or false (got 'maybe')") for e in errors)


def test_var_labels_cover_every_variable_of_the_role():
    labels = var_labels({"ecs_service_cpu": "webstack_backend_cpu"}, os.path.join(ROLES, "ecs_service"))
    assert labels["ecs_service_cpu"] == "webstack_backend_cpu"
    assert labels["ecs_service_memory"] == "ecs_service_memory"
    assert set(labels) == set(role_option_names(os.path.join(ROLES, "ecs_service")))
    assert var_labels(None, os.path.join(ROLES, "network"))["network_backend_port"] == "network_backend_port"
    with pytest.raises(AnsibleFilterError):
        var_labels(["x"], os.path.join(ROLES, "network"))
