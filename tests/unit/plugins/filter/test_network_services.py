"""Unit tests for the network role's security groups derived from who may reach whom (network_services).

network_security_groups_today.json holds network_security_groups as roles/network/vars/main.yml rendered it before
services became data (hard-coded frontend, backend, redis, alb), for three settings: the derivation must give exactly
that for the default two services, so an existing stack sees no drift and no description change.
"""

import copy
import json
import os
import random
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.input_checks import role_type_errors
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_drift import network_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_services import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_services import network_service_security_groups
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_services import network_services_errors
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_services import network_sg_delete_plan
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.network import network_sg_rules
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.network import network_sg_unresolved

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
ROLE = os.path.join(REPO, "roles", "network")
STACK = {"ManagedBy": "stackops.ecs_webstack", "webstack:env": "local", "webstack:stack": "webstack"}
PREFIX = "webstack-local"
SETTINGS = {"prefix": PREFIX, "tags": STACK, "alb": False, "alb_targets_backend": False,
            "frontend_ports": [80, 443], "redis_port": 6379}


def today(backend_port=8080):
    return [{"name": "frontend", "port": 80, "public": True, "reaches": ["backend"]},
            {"name": "backend", "port": backend_port, "public": False, "reaches": ["redis"]}]


def groups(services, **settings):
    return network_service_security_groups(services, dict(SETTINGS, **settings))


def by_key(specs):
    return dict((g["key"], g) for g in specs)


def sources(spec):
    """(ports, source, description) of each rule, the source a group key or the CIDR."""
    out = []
    for rule in spec["rules"]:
        source = rule["group_name"][len(PREFIX) + 1:] if "group_name" in rule else rule["cidr_ip"]
        out.append((tuple(rule["ports"]), source, rule["rule_desc"]))
    return out


def load_today():
    with open(os.path.join(HERE, "network_security_groups_today.json"), encoding="utf-8") as handle:
        return json.load(handle)["cases"]


def test_filters_are_registered_under_their_names():
    assert sorted(FilterModule().filters()) == [
        "network_service_security_groups", "network_services_errors", "network_sg_delete_plan"]


# --- today's two services -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", load_today(), ids=lambda case: case["case"])
def test_todays_two_services_give_exactly_todays_groups(case):
    assert network_service_security_groups(today(case["backend_port"]), case["settings"]) == case["groups"]


def test_the_roles_default_services_are_todays_two():
    with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    services = copy.deepcopy(defaults["network_services"])
    assert services[1]["port"] == "{{ network_backend_port }}"
    services[1]["port"] = defaults["network_backend_port"]
    assert services == today(defaults["network_backend_port"])
    assert network_services_errors(services) == []
    assert role_type_errors({"network_services": services}, ROLE) == []


def test_todays_read_network_shows_no_security_group_drift():
    """network_read.json is a deploy of the local inventory before services became data (backend on 8080)."""
    with open(os.path.join(HERE, "network_read.json"), encoding="utf-8") as handle:
        read = json.load(handle)
    desired = {"vpc": {}, "security_groups": groups(today()), "stale_security_groups": [PREFIX + "-alb"], "stack_tags": STACK}
    drift = network_drift(read, desired)
    assert drift["security_groups"] == []
    ids = dict((g["group_name"], g["group_id"]) for g in read["security_groups"])
    assert drift["facts"]["security_group_ids"] == {
        "frontend": ids[PREFIX + "-frontend"], "backend": ids[PREFIX + "-backend"], "redis": ids[PREFIX + "-redis"]}


# --- more services --------------------------------------------------------------------------------------------------

def test_a_worker_that_reaches_redis_and_that_nobody_reaches():
    services = today() + [{"name": "worker", "port": 9000, "reaches": ["redis"]}]
    specs = groups(services)
    assert [g["key"] for g in specs] == ["frontend", "backend", "worker", "redis"]
    got = by_key(specs)
    before = by_key(groups(today()))
    assert got["frontend"] == before["frontend"] and got["backend"] == before["backend"]
    worker = got["worker"]
    assert worker["name"] == PREFIX + "-worker"
    assert worker["rules"] == []
    assert worker["description"] == PREFIX + " worker: no inbound traffic"
    assert worker["tags"] == dict(STACK, Name=PREFIX + "-worker", **{"webstack:purpose": "worker"})
    assert "rules_egress" not in worker
    # Redis keeps its description (EC2 cannot change one) and admits both.
    assert got["redis"]["description"] == before["redis"]["description"]
    assert sources(got["redis"]) == [((6379,), "backend", "from the backend"), ((6379,), "worker", "from the worker")]
    assert got["redis"]["rules_egress"] == []


def test_a_service_nobody_reaches_and_that_is_not_public_admits_nothing_even_with_an_alb():
    specs = by_key(groups(today() + [{"name": "cron", "port": 7000}], alb=True, alb_targets_backend=True))
    assert specs["cron"]["rules"] == []
    assert sources(specs["backend"]) == [((8080,), "frontend", "from the frontend"), ((8080,), "alb", "from the ALB")]


def test_a_new_services_description_names_its_sources():
    services = today() + [
        {"name": "api2", "port": 9000},
        {"name": "admin", "port": 80, "public": True, "reaches": ["api2"]},
        {"name": "jobs", "port": 9100, "reaches": ["api2", "redis"]},
    ]
    specs = by_key(groups(services))
    assert specs["api2"]["description"] == PREFIX + " api2: its port from the admin and the jobs only"
    assert specs["admin"]["description"] == PREFIX + " admin: web ports (from the ALB where there is one)"
    assert specs["jobs"]["description"] == PREFIX + " jobs: no inbound traffic"
    assert sources(specs["api2"]) == [((9000,), "admin", "from the admin"), ((9000,), "jobs", "from the jobs")]


def test_public_services_and_the_alb():
    services = today() + [{"name": "admin", "port": 8443, "public": True, "reaches": ["redis"]}]
    open_world = by_key(groups(services))
    assert sources(open_world["admin"]) == [((80, 443), "0.0.0.0/0", "public web traffic")]
    behind = by_key(groups(services, alb=True))
    assert [g["key"] for g in groups(services, alb=True)][0] == "alb"
    assert sources(behind["admin"]) == [((80, 443), "alb", "from the ALB")]
    assert sources(behind["alb"]) == [((80, 443), "0.0.0.0/0", "public web traffic")]
    # Only the ALB's ports admit the internet.
    for spec in groups(services, alb=True):
        for rule in spec["rules"]:
            assert "cidr_ip" not in rule or spec["key"] == "alb"


def test_the_alb_targets_every_service_a_public_service_reaches():
    services = [{"name": "frontend", "port": 80, "public": True, "reaches": ["backend", "search", "redis"]},
                {"name": "backend", "port": 8080, "reaches": ["search"]},
                {"name": "search", "port": 9200},
                {"name": "worker", "port": 9000, "reaches": ["backend"]}]
    specs = by_key(groups(services, alb=True, alb_targets_backend=True))
    assert sources(specs["backend"]) == [((8080,), "frontend", "from the frontend"), ((8080,), "worker", "from the worker"),
                                         ((8080,), "alb", "from the ALB")]
    assert sources(specs["search"]) == [((9200,), "frontend", "from the frontend"), ((9200,), "backend", "from the backend"),
                                        ((9200,), "alb", "from the ALB")]
    assert sources(specs["worker"]) == []
    assert sources(specs["redis"]) == [((6379,), "frontend", "from the frontend")]
    # Without alb_targets_backend, no ALB rule on them.
    plain = by_key(groups(services, alb=True))
    assert all(source != "alb" for key in ("backend", "search") for _p, source, _d in sources(plain[key]))


def test_a_cycle_and_a_service_that_reaches_itself():
    services = today() + [{"name": "worker", "port": 9000, "reaches": ["backend", "redis"]}]
    services[1] = dict(services[1], reaches=["redis", "worker"])
    specs = groups(services)
    got = by_key(specs)
    assert sources(got["backend"]) == [((8080,), "frontend", "from the frontend"), ((8080,), "worker", "from the worker")]
    assert sources(got["worker"]) == [((9000,), "backend", "from the backend")]
    assert got["backend"]["description"] == PREFIX + " backend: its port from the frontend only"  # as before
    # Every group once; redis last, the cycle broken at its first service in the list.
    assert [g["key"] for g in specs] == ["frontend", "backend", "worker", "redis"]
    selfish = by_key(groups([{"name": "peer", "port": 7000, "reaches": ["peer"]}]))
    assert sources(selfish["peer"]) == [((7000,), "peer", "from the peer")]


def test_the_order_puts_a_group_after_the_groups_its_rules_name_where_the_graph_allows():
    services = [{"name": "c", "port": 3, "reaches": ["b"]},
                {"name": "b", "port": 2, "reaches": ["a"]},
                {"name": "a", "port": 1, "public": True, "reaches": ["redis"]}]
    # a is reached by b, b by c: a names b, b names c; c names nobody.
    assert [g["key"] for g in groups(services, alb=True)] == ["alb", "c", "b", "a", "redis"]


def test_reaches_listed_twice_give_one_rule():
    services = today() + [{"name": "worker", "port": 9000, "reaches": ["redis", "redis", "backend", "backend"]}]
    got = by_key(groups(services))
    assert sources(got["redis"]).count(((6379,), "worker", "from the worker")) == 1
    assert sources(got["backend"]).count(((8080,), "worker", "from the worker")) == 1


def test_strings_from_the_inventory_are_ports_and_booleans():
    services = [{"name": "frontend", "port": "80", "public": "yes", "reaches": ["backend"]},
                {"name": "backend", "port": "8080", "public": "false", "reaches": ["redis"]}]
    assert groups(services) == groups(today())


# --- creation in two passes, as security_groups.yml does -------------------------------------------------------------

def rule_set(rules):
    return set((tuple(r["ports"]), target, r["rule_desc"]) for r in rules for target in r.get("group_id", [r.get("cidr_ip")]))


def wanted_account(specs):
    ids = dict((s["name"], "sg-" + s["name"]) for s in specs)
    return dict((s["name"], rule_set(network_sg_rules(s["rules"], ids))) for s in specs)


def create(specs, existing):
    """security_groups.yml against a fake account: ``existing`` maps the names of groups that exist to their rules
    (as group-name sets). Returns the account after the run and the rules each call set, in order."""
    account = dict((name, set(rules)) for name, rules in existing.items())
    ids = dict((name, "sg-" + name) for name in existing)
    calls = []
    deferred = []

    def call(spec, defer):
        wanted = rule_set(network_sg_rules(spec["rules"], ids, defer=defer))
        # A rule that exists and stays wanted is never dropped on the way (purge_rules would revoke it for a while).
        assert account.get(spec["name"], set()) & final[spec["name"]] <= wanted, "a wanted rule was revoked"
        account[spec["name"]] = wanted
        calls.append(spec["name"])

    final = wanted_account(specs)

    for spec in specs:
        before = dict(ids)
        call(spec, True)
        ids[spec["name"]] = "sg-" + spec["name"]
        if network_sg_unresolved(spec["rules"], before):
            deferred.append(spec["name"])
    for spec in specs:
        if spec["name"] in deferred:
            call(spec, False)
    return account, calls, ids


def test_without_a_cycle_a_new_stack_is_made_in_one_pass():
    specs = groups(today() + [{"name": "worker", "port": 9000, "reaches": ["redis", "backend"]}], alb=True)
    account, calls, _ids = create(specs, {})
    assert account == wanted_account(specs)
    assert calls == [s["name"] for s in specs]


def test_a_cycle_on_a_new_stack_takes_a_second_call_for_the_group_that_waited():
    services = today() + [{"name": "worker", "port": 9000, "reaches": ["backend", "redis"]}]
    services[1] = dict(services[1], reaches=["redis", "worker"])
    specs = groups(services)
    account, calls, _ids = create(specs, {})
    assert account == wanted_account(specs)
    assert calls == [s["name"] for s in specs] + [PREFIX + "-backend"]


def test_a_cycle_added_to_an_existing_stack_never_drops_a_rule_that_exists():
    before = groups(today())
    existing = wanted_account(before)
    services = today() + [{"name": "worker", "port": 9000, "reaches": ["backend", "redis"]}]
    services[1] = dict(services[1], reaches=["redis", "worker"])
    specs = groups(services)
    account, _calls, _ids = create(specs, existing)
    assert account == wanted_account(specs)


@pytest.mark.parametrize("seed", range(40))
def test_any_graph_is_made_complete(seed):
    rnd = random.Random(seed)
    names = ["s%d" % i for i in range(rnd.randint(1, 7))]
    services = [{"name": n, "port": 1000 + i, "public": rnd.random() < 0.3,
                 "reaches": rnd.sample(names + ["redis"], rnd.randint(0, len(names)))} for i, n in enumerate(names)]
    specs = groups(services, alb=rnd.random() < 0.5, alb_targets_backend=False)
    existing = dict((s["name"], set()) for s in specs if rnd.random() < 0.3)
    account, calls, _ids = create(specs, existing)
    assert account == wanted_account(specs)
    assert len(calls) <= 2 * len(specs)


# --- refused input ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "services, expected",
    [
        (today() + [{"name": "worker", "port": 9000, "reaches": ["cache"]}],
         "network_services[2] (worker): reaches 'cache', which is neither a service of network_services "
         "(frontend, backend, worker) nor redis."),
        (today() + [{"name": "worker", "port": 9000, "reaches": ["alb"]}],
         "network_services[2] (worker): reaches 'alb', which is neither a service"),
        (today() + [{"name": "backend", "port": 9000}],
         "network_services[2] (backend): the name backend is taken by network_services[1] already"),
        (today() + [{"name": "redis", "port": 6379}],
         "network_services[2] (redis): the name redis is the network role's own security group (redis and alb)"),
        (today() + [{"name": "alb", "port": 80, "public": True}],
         "network_services[2] (alb): the name alb is the network role's own security group"),
        (today() + [{"name": "Worker_1", "port": 9000}],
         "network_services[2] (Worker_1): the name 'Worker_1' must be lower case letters"),
        (today() + [{"port": 9000}], "network_services[2] needs a name"),
        (today() + [{"name": "worker", "port": 70000}], "network_services[2] (worker): port 70000 is no port"),
        (today() + [{"name": "worker", "port": True}], "network_services[2] (worker): port True is no port"),
        (today() + [{"name": "worker", "port": 9000, "reaches": "redis"}],
         "network_services[2] (worker): reaches must be a list of service names and/or redis"),
        (today() + [{"name": "worker", "port": 9000, "public": "maybe"}],
         "network_services[2] (worker): public must be true or false"),
        (today() + [{"name": "worker", "port": 9000, "reach": ["redis"]}],
         "network_services[2] (worker) has unknown key(s) reach: use name, port, public, reaches."),
        (today() + ["worker"], "network_services[2] must be a mapping {name, port, public, reaches}"),
        ({"name": "worker"}, "network_services must be a list of services"),
    ],
)
def test_bad_services_are_named_with_their_entry(services, expected):
    errors = network_services_errors(services)
    assert any(expected in error for error in errors), errors
    with pytest.raises(AnsibleFilterError) as caught:
        network_service_security_groups(services, SETTINGS)
    assert expected in str(caught.value)


def test_the_message_names_the_variable_the_user_set():
    bad = today() + [{"name": "worker", "port": 9000, "reaches": ["cache"]}]
    assert network_services_errors(bad, "webstack_services")[0].startswith("webstack_services[2] (worker): reaches 'cache'")


def test_good_services_have_no_errors():
    assert network_services_errors(today()) == []
    assert network_services_errors([]) == []
    assert network_services_errors([{"name": "w", "port": "9000", "public": "no"}]) == []


def test_bad_settings_are_refused():
    with pytest.raises(AnsibleFilterError, match="settings lack frontend_ports"):
        network_service_security_groups(today(), {"prefix": "p", "tags": {}, "redis_port": 1})
    with pytest.raises(AnsibleFilterError, match="are not ports"):
        network_service_security_groups(today(), dict(SETTINGS, redis_port="x"))


VALIDATE_PLAY = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.include_role:
        name: stackops.ecs_webstack.network
        tasks_from: validate
"""


@pytest.mark.parametrize(
    "services, expected",
    [
        ([{"name": "frontend", "port": 80, "public": True, "reaches": ["backend"]},
          {"name": "backend", "port": 8000, "reaches": ["redis", "cache"]}],
         "network_services[1] (backend): reaches 'cache', which is neither a service of network_services"),
        ([{"name": "frontend", "port": 80, "public": True}, {"name": "frontend", "port": 8000}],
         "network_services[1] (frontend): the name frontend is taken by network_services[0] already"),
        ([{"name": "redis", "port": 6379}], "network_services[0] (redis): the name redis is the network role's own"),
    ],
)
def test_the_roles_validation_stops_on_bad_services(tmp_path, services, expected):
    """validate.yml, which deploy.yml's first play runs before any AWS call, stops with the message."""
    play = tmp_path / "play.yml"
    play.write_text(VALIDATE_PLAY, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
               ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    extra = {"network_services": services, "network_tags": STACK}
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(play),
         "-e", json.dumps(extra)],
        capture_output=True, text=True, env=env, check=False, timeout=300)
    out = "".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, result.stdout
    assert "".join(expected.split()) in out, result.stdout[-3000:]


# --- deletion ---------------------------------------------------------------------------------------------------------

def sg(name, ingress=(), egress=(), extra_ingress=False):
    """A group as ec2_security_group_info returns it, naming the groups ``ingress`` / ``egress`` by their IDs."""
    def perms(targets):
        return [{"ip_protocol": "tcp", "from_port": 1, "to_port": 1,
                 "user_id_group_pairs": [{"group_id": "sg-" + t, "user_id": "123456789012"}], "ip_ranges": []}
                for t in targets]
    ingress_perms = perms(ingress)
    if extra_ingress:
        ingress_perms.append({"ip_protocol": "tcp", "from_port": 80, "to_port": 80, "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}],
                              "user_id_group_pairs": []})
    return {"group_id": "sg-" + name, "group_name": name, "description": name + " group", "vpc_id": "vpc-1",
            "ip_permissions": ingress_perms, "ip_permissions_egress": perms(egress)}


def delete(found):
    """absent_vpc.yml against a fake EC2 that refuses to delete a group another group's rule still names."""
    plan = network_sg_delete_plan(found)
    groups_left = dict((g["group_id"], copy.deepcopy(g)) for g in found)
    for item in plan["revoke"]:
        group = groups_left[item["group_id"]]
        assert item["ingress"]
        group["ip_permissions"] = []
        if item["egress"]:
            group["ip_permissions_egress"] = []
    for group in plan["order"]:
        gid = group["group_id"]
        named_by = [other for other, g in groups_left.items() if other != gid and any(
            pair.get("group_id") == gid for field in ("ip_permissions", "ip_permissions_egress")
            for perm in g[field] for pair in perm.get("user_id_group_pairs") or [])]
        assert not named_by, "DependencyViolation: %s is still named by %s" % (gid, named_by)
        del groups_left[gid]
    assert groups_left == {}
    return plan


def test_todays_groups_are_deleted_in_todays_order_with_nothing_revoked():
    found = [sg("alb", extra_ingress=True), sg("frontend", ["alb"]), sg("backend", ["frontend", "alb"]), sg("redis", ["backend"])]
    plan = delete(found)
    assert [g["group_name"] for g in plan["order"]] == ["redis", "backend", "frontend", "alb"]
    assert plan["revoke"] == []


def test_the_read_network_is_deleted_in_todays_order():
    with open(os.path.join(HERE, "network_read.json"), encoding="utf-8") as handle:
        read = json.load(handle)
    found = [g for g in read["security_groups"] if g["group_name"] != "default"]
    plan = network_sg_delete_plan(found)
    assert [g["group_name"] for g in plan["order"]] == [PREFIX + "-redis", PREFIX + "-backend", PREFIX + "-frontend"]
    assert plan["revoke"] == []


def test_a_cycle_loses_its_rules_first_and_nothing_else_does():
    found = [sg("frontend", extra_ingress=True), sg("backend", ["frontend", "worker"]), sg("worker", ["backend"]),
             sg("redis", ["backend", "worker"]), sg("cron")]
    plan = delete(found)
    assert sorted(r["group_name"] for r in plan["revoke"]) == ["backend", "worker"]
    assert all(not r["egress"] for r in plan["revoke"])
    revoked = plan["revoke"][0]
    assert set(revoked) == {"group_id", "group_name", "description", "vpc_id", "ingress", "egress"}
    assert revoked["description"] == revoked["group_name"] + " group" and revoked["vpc_id"] == "vpc-1"
    order = [g["group_name"] for g in plan["order"]]
    assert order.index("redis") < order.index("backend") and order.index("backend") < order.index("frontend")


def test_a_group_that_names_itself_and_egress_references():
    plan = delete([sg("peer", ["peer"]), sg("a", egress=["b"]), sg("b", ["a"])])
    assert {r["group_name"]: r["egress"] for r in plan["revoke"]} == {"peer": False, "a": True, "b": False}


def test_groups_of_other_stacks_and_the_default_group_are_no_reference():
    found = [sg("backend", ["frontend", "theirs"]), sg("frontend")]
    plan = delete(found)
    assert [g["group_name"] for g in plan["order"]] == ["backend", "frontend"]
    assert network_sg_delete_plan([]) == {"revoke": [], "order": []}
    with pytest.raises(AnsibleFilterError, match="network_sg_delete_plan expects"):
        network_sg_delete_plan({"security_groups": []})


@pytest.mark.parametrize("seed", range(60))
def test_any_set_of_groups_with_any_references_is_deleted(seed):
    rnd = random.Random(seed)
    names = ["g%d" % i for i in range(rnd.randint(1, 8))]
    found = [sg(n, rnd.sample(names, rnd.randint(0, len(names))), rnd.sample(names, rnd.randint(0, 2) if rnd.random() < 0.2 else 0))
             for n in names]
    rnd.shuffle(found)
    plan = delete(found)
    # Only groups in a cycle lose rules.
    assert len(plan["order"]) == len(found)
