"""webstack_services: the checks (before any change), the completed entries and the views the roles take."""

import copy
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_services import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_services import stack_service_errors
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_services import stack_service_peak
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_services import stack_services
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_services import stack_services_images
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_services import stack_services_network

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
CHECK = "curl %s || wget %s"


def load(*path):
    with open(os.path.join(REPO, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def local_services():
    return load("inventories", "local", "group_vars", "all", "main.yml")["webstack_services"]


def default_services():
    """roles/webstack's default list with the per-service variables' defaults put in, as Ansible templates it."""
    defaults = load("roles", "webstack", "defaults", "main.yml")
    services = copy.deepcopy(defaults["webstack_services"])
    for entry in services:
        for field, value in list(entry.items()):
            if isinstance(value, str) and value.startswith("{{ webstack_"):
                variable = value.strip("{} ")
                entry[field] = defaults[variable] if field != "health_check_command" else "check " + variable
    return services


def test_the_filters_are_registered():
    assert sorted(FilterModule().filters()) == sorted([
        "stack_service_errors", "stack_services", "stack_services_network", "stack_services_images",
        "stack_image_tag_variable", "stack_service_peak"])


def test_the_shipped_lists_are_valid():
    assert stack_service_errors(default_services()) == []
    assert stack_service_errors(local_services()) == []


def test_the_default_list_is_todays_frontend_and_backend():
    frontend, backend = stack_services(default_services(), CHECK)
    assert (frontend["name"], frontend["port"], frontend["public"], frontend["discovery"]) == ("frontend", 80, True, False)
    assert frontend["routes"] == [{"path": "/api/", "service": "backend"}] and frontend["reaches"] == ["backend"]
    assert (backend["name"], backend["port"], backend["public"], backend["discovery"]) == ("backend", 8080, False, True)
    assert (backend["autoscaling"], backend["min_count"], backend["max_count"], backend["desired_count"]) == (True, 2, 4, 2)
    assert backend["reaches"] == ["redis"] and backend["discovery_ttl"] == 10
    # Messages name the variables an old inventory sets.
    assert backend["labels"]["cpu"] == "webstack_backend_cpu" and frontend["labels"]["memory"] == "webstack_frontend_memory"


def test_a_written_entry_gets_every_default_and_labels_of_its_own():
    worker = stack_services([{"name": "worker", "reaches": ["redis"]}], CHECK)[0]
    assert worker["port"] == 8080 and worker["cpu"] == 256 and worker["memory"] == 512 and worker["desired_count"] == 1
    assert worker["public"] is False and worker["discovery"] is False and worker["autoscaling"] is False
    assert worker["secrets"] == {} and worker["environment"] == {} and worker["command"] == []
    assert worker["health_check_command"] == CHECK % ("http://127.0.0.1:8080/health", "http://127.0.0.1:8080/health")
    assert worker["labels"]["cpu"] == "webstack_services[worker].cpu"


def test_types_are_converted_as_ansible_templates_them():
    entry = stack_services([{"name": "api", "port": "9000", "autoscaling": "yes", "public": "false"}])[0]
    assert entry["port"] == 9000 and entry["autoscaling"] is True and entry["public"] is False


def test_the_routed_service_is_found_in_cloud_map_and_checked_on_nginx_healthz():
    frontend, backend = stack_services(local_services()[:2], CHECK, "/ready")
    assert backend["discovery"] is True
    assert frontend["health_check_command"] == CHECK % ("http://127.0.0.1/ready", "http://127.0.0.1/ready")


def test_an_image_tag_variable_wins_over_the_entry():
    services = stack_services(local_services(), CHECK, image_tags={"backend": "local-0002", "worker": ""})
    tags = dict((s["name"], s["image_tag"]) for s in services)
    assert tags == {"frontend": "local-0001", "backend": "local-0002", "worker": "local-0001"}
    backend = [s for s in services if s["name"] == "backend"][0]
    assert backend["labels"]["image_tag"] == "webstack_backend_image_tag"
    assert FilterModule().filters()["stack_image_tag_variable"]("read-api") == "webstack_read_api_image_tag"


def test_the_views_for_the_network_ecr_and_the_order():
    services = stack_services(local_services(), CHECK)
    assert stack_services_network(services) == [
        {"name": "frontend", "port": 80, "public": True, "reaches": ["backend"]},
        {"name": "backend", "port": 8080, "public": False, "reaches": ["redis"]},
        {"name": "worker", "port": 8081, "public": False, "reaches": ["redis"]}]
    assert [i["name"] for i in stack_services_images(services)] == ["frontend", "backend", "worker"]
    assert all(i["tag"] == "local-0001" and i["dockerfile"] == "Dockerfile" for i in stack_services_images(services))
    assert stack_services_images(services)[1]["tag_variable"] == "webstack_services[backend].image_tag or webstack_backend_image_tag"
    assert stack_services_images(stack_services(default_services()))[1]["tag_variable"] == "webstack_backend_image_tag"
    with pytest.raises(AnsibleFilterError):
        stack_services_network(local_services())


def test_the_peak_counts_the_ec2_checks_add_up():
    services = stack_services(local_services(), CHECK)
    assert [stack_service_peak(s) for s in services] == [1, 4, 1]
    assert [stack_service_peak(s, "label") for s in services] == [
        "webstack_services[frontend].desired_count", "webstack_services[backend].max_count",
        "webstack_services[worker].desired_count"]


def with_change(change):
    services = copy.deepcopy(local_services())
    change(dict((s["name"], s) for s in services), services)
    return services


@pytest.mark.parametrize("change, expected", [
    (lambda by, all_: by["worker"].update(cpu="abc"), "webstack_services[worker].cpu is 'abc': it must be a whole number."),
    (lambda by, all_: by["worker"].update(public="maybe"), "webstack_services[worker].public is 'maybe': it must be true or false."),
    (lambda by, all_: by["worker"].update(cpus=256), "webstack_services[worker]: unknown field cpus; the fields are"),
    (lambda by, all_: by["worker"].update(name="Worker_1"), "webstack_services[2].name is 'Worker_1'"),
    (lambda by, all_: by["worker"].update(name="redis"), "webstack_services[redis].name: redis is reserved"),
    (lambda by, all_: by["worker"].update(name="backend"), "two services are named backend"),
    (lambda by, all_: by["worker"].update(reaches=["redis", "mailer"]),
     "webstack_services[worker].reaches names 'mailer', which is neither a service of webstack_services (backend, frontend, worker) nor redis"),
    (lambda by, all_: by["worker"].update(reaches=["worker"]), "webstack_services[worker].reaches lists worker itself"),
    (lambda by, all_: by["worker"].update(routes=[{"path": "/x/", "service": "backend"}]),
     "webstack_services[worker].routes: only a public service"),
    (lambda by, all_: by["frontend"].update(routes=[{"path": "/api/", "service": "backend"}, {"path": "/w/", "service": "worker"}]),
     "webstack_services[frontend].routes has 2 routes"),
    (lambda by, all_: by["frontend"].update(routes=[{"path": "api", "service": "backend"}]),
     "path 'api' must start and end with /"),
    (lambda by, all_: by["frontend"].update(routes=[{"path": "/api/", "service": "worker"}]),
     "frontend routes to worker but its reaches does not list it"),
    (lambda by, all_: by["frontend"].update(routes=[{"path": "/api/", "service": "billing"}]),
     "service 'billing' is not in webstack_services"),
    (lambda by, all_: by["backend"].update(discovery=False), "webstack_services[backend].discovery is false, but other services reach backend"),
    (lambda by, all_: by["worker"].update(public=True), "frontend and worker are public"),
    (lambda by, all_: by["backend"].update(min_count=5, max_count=3), "autoscaling needs 0 <= min <= max"),
    (lambda by, all_: by["worker"].update(port=70000), "webstack_services[worker].port is 70000: use a port from 1 to 65535."),
    (lambda by, all_: by["backend"].update(discovery_ttl=600), "webstack_services[backend].discovery_ttl is 600: use 1-300 seconds"),
    (lambda by, all_: all_.append("worker2"), "webstack_services[3] is 'worker2', not a mapping"),
])
def test_bad_entries_are_named_with_the_fix(change, expected):
    errors = stack_service_errors(with_change(change))
    assert any(expected in e for e in errors), errors
    with pytest.raises(AnsibleFilterError):
        stack_services(with_change(change))


def test_labels_of_the_default_list_name_the_old_variables():
    services = default_services()
    services[1]["cpu"] = "lots"
    assert stack_service_errors(services) == ["webstack_backend_cpu is 'lots': it must be a whole number."]


@pytest.mark.parametrize("value", [[], {}, "frontend", None])
def test_not_a_list_of_services(value):
    errors = stack_service_errors(value)
    assert len(errors) == 1 and "webstack_services must be a non-empty list" in errors[0]


def test_a_cycle_of_reaches_is_allowed():
    services = [{"name": "a", "reaches": ["b"]}, {"name": "b", "reaches": ["a", "redis"]}]
    assert stack_service_errors(services) == []
    assert [s["discovery"] for s in stack_services(services)] == [True, True]


@pytest.mark.parametrize("field, value, expected", [
    ("port", 70000, "webstack_backend_port is 70000: use a port from 1 to 65535."),
    ("discovery_ttl", 0, "webstack_backend_discovery_ttl is 0: use 1-300 seconds"),
    ("memory", 0, "webstack_backend_memory is 0: it must be above 0."),
])
def test_range_errors_of_the_default_list_say_what_the_old_checks_said(field, value, expected):
    services = default_services()
    services[1][field] = value
    errors = stack_service_errors(services)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


@pytest.mark.parametrize("name", ["worker", "admin-api", "a", "a" * 32, "a" * 33, "Worker_1", "1worker", "-x", "redis", "alb", ""])
def test_a_name_is_refused_by_webstack_services_exactly_when_the_network_role_refuses_it(name):
    """One rule (module_utils/network.py service_name_problem): the name is also the service's security group's."""
    from ansible_collections.stackops.ecs_webstack.plugins.module_utils.network import network_services_errors

    stack_refused = any("name" in error for error in stack_service_errors(default_services() + [{"name": name, "port": 9000}]))
    network_refused = any("name" in error for error in network_services_errors(
        [{"name": "frontend", "port": 80, "public": True}, {"name": name, "port": 9000}]))
    assert stack_refused == network_refused
    assert stack_refused == (name in ("a" * 33, "Worker_1", "1worker", "-x", "redis", "alb", ""))
