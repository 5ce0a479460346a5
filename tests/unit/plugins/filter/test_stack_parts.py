"""The tag-dependency check of deploy.yml's first play (roles/webstack), on the deploy's own graph."""

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_parts import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_parts import missing_parts
from ansible_collections.stackops.ecs_webstack.plugins.filter.stack_parts import selected_parts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def deploy_graph(nat=True, alb=False):
    """roles/webstack/vars/main.yml's graph with its two conditional needs resolved as Ansible would."""
    with open(os.path.join(REPO, "roles", "webstack", "vars", "main.yml"), encoding="utf-8") as handle:
        parts = yaml.safe_load(handle)["webstack_deploy_parts"]
    parts["atlas"]["needs"] = ["network"] if nat else []
    parts["frontend"]["needs"] = ["network", "ecr", "ecs_cluster", "nginx"] + (["alb"] if alb else [])
    return parts


def test_the_filters_are_registered():
    assert sorted(FilterModule().filters()) == ["missing_parts", "selected_parts"]


def test_a_whole_run_selects_every_part_and_misses_nothing():
    parts = deploy_graph()
    assert selected_parts(parts, ["all"], []) == list(parts)
    assert missing_parts(parts, ["all"], []) == []


def test_backend_alone_names_every_part_it_takes_facts_from():
    assert missing_parts(deploy_graph(), ["backend"], []) == [
        "the backend part needs what ecr, ecs_cluster, network, redis, secrets return in the same run "
        "(tags ecr,ecs,network,redis,secrets)"]


def test_ecs_selects_the_cluster_and_both_services():
    assert selected_parts(deploy_graph(), ["ecs"], []) == ["ecs_cluster", "backend", "frontend"]


def test_skipping_a_needed_part_says_it_is_skipped():
    messages = missing_parts(deploy_graph(), ["all"], ["network"])
    assert messages and all(message.endswith("; they are skipped)") for message in messages)
    assert any(message.startswith("the redis part needs what network") for message in messages)


def test_the_alb_is_needed_by_the_frontend_only_when_switched_on():
    run = ["network", "ecr", "ecs", "frontend", "redis", "secrets"]
    assert missing_parts(deploy_graph(alb=False), run, ["alb"]) == []
    assert missing_parts(deploy_graph(alb=True), run, ["alb"]) == [
        "the frontend part needs what alb return in the same run (tags alb; they are skipped)"]


def test_atlas_needs_the_network_only_for_the_nat_gateway_mode():
    assert missing_parts(deploy_graph(nat=False), ["atlas"], []) == []
    assert missing_parts(deploy_graph(nat=True), ["atlas"], []) == [
        "the atlas part needs what network return in the same run (tags network)"]


@pytest.mark.parametrize("parts", [[], {"a": {"tag": "a"}}, {"a": {"tags": ["a"], "tag": "a", "needs": ["b"]}}])
def test_a_malformed_graph_is_an_error(parts):
    with pytest.raises(AnsibleFilterError):
        missing_parts(parts, ["all"], [])
