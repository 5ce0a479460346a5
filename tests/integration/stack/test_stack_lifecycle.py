"""End to end on the local inventory: deploy, re-deploy, check mode, status, destroy.

Each step asserts on the emulators' own request logs and state, not on the playbook's word.
"""

import pytest

from .stackrun import playbook

STACK_TAGS = {"webstack:stack": "webstack", "webstack:env": "local"}


def _writes(requests):
    return [r for r in requests if r["kind"] == "write"]


def _stack_resources(emulators):
    """Everything in the emulated account that belongs to the stack (by tag or by name)."""
    session, url = emulators.boto3_session()
    found = []
    ecr = session.client("ecr", endpoint_url=url)
    for repo in ecr.describe_repositories()["repositories"]:
        if repo["repositoryName"].startswith("webstack-local/"):
            found.append("ecr:" + repo["repositoryName"])
    ec2 = session.client("ec2", endpoint_url=url)
    filters = [{"Name": "tag:webstack:stack", "Values": ["webstack"]}, {"Name": "tag:webstack:env", "Values": ["local"]}]
    for kind, call, key, ident in (
        ("vpc", ec2.describe_vpcs, "Vpcs", "VpcId"),
        ("subnet", ec2.describe_subnets, "Subnets", "SubnetId"),
        ("sg", ec2.describe_security_groups, "SecurityGroups", "GroupId"),
        ("igw", ec2.describe_internet_gateways, "InternetGateways", "InternetGatewayId"),
        ("rtb", ec2.describe_route_tables, "RouteTables", "RouteTableId"),
        ("eip", ec2.describe_addresses, "Addresses", "AllocationId"),
    ):
        found += ["%s:%s" % (kind, item[ident]) for item in call(Filters=filters)[key]]
    found += ["nat:" + n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]
              if n["State"] not in ("deleted", "deleting")]
    sm = session.client("secretsmanager", endpoint_url=url)
    for secret in sm.list_secrets()["SecretList"]:
        if secret["Name"].startswith("webstack-local/"):
            found.append("secret:" + secret["Name"])
    return found


def _atlas_entries(emulators):
    import json
    import urllib.request

    url = "http://127.0.0.1:%d/_standin/state" % emulators.cfg["atlas_port"]
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback stand-in
        state = json.loads(response.read())
    return [entry for project in state.get("projects", {}).values() for entry in project.get("entries", [])]


@pytest.fixture(scope="module")
def deployed(emulators):
    emulators.reset()
    first = playbook(emulators, "deploy.yml")
    assert first.rc == 0, first.output[-4000:]
    return first


def test_check_mode_on_an_empty_account_writes_nothing(emulators):
    emulators.reset()
    run = playbook(emulators, "deploy.yml", "--check")
    assert run.rc == 0, run.output[-4000:]
    assert _writes(emulators.requests("moto")) == []
    assert _writes(emulators.requests("atlas")) == []
    assert _stack_resources(emulators) == []


def test_second_deploy_changes_nothing(emulators, deployed):
    assert deployed.changed > 0
    again = playbook(emulators, "deploy.yml")
    assert again.rc == 0, again.output[-4000:]
    assert again.changed == 0, "tasks that changed on the second run: %s" % again.changed_tasks()


def test_check_mode_on_a_deployed_account_writes_nothing(emulators, deployed):
    before = len(emulators.requests("moto"))
    run = playbook(emulators, "deploy.yml", "--check")
    assert run.rc == 0, run.output[-4000:]
    assert run.changed == 0, run.changed_tasks()
    assert _writes(emulators.requests("moto")[before:]) == []


def test_secrets_never_appear_at_vvv(emulators, deployed):
    import os

    with open(os.path.join(emulators.cfg["run_dir"], "mongodb-password"), encoding="utf-8") as handle:
        password = handle.read().split()[0]
    run = playbook(emulators, "deploy.yml", "-vvv")
    assert run.rc == 0, run.output[-4000:]
    assert len(password) >= 16
    assert password not in run.output


def test_status_shows_the_stack_without_changing_it(emulators, deployed):
    before = len(emulators.requests("moto"))
    atlas_before = len(emulators.requests("atlas"))
    run = playbook(emulators, "status.yml")
    assert run.rc == 0, run.output[-4000:]
    assert run.changed == 0
    assert "webstack-local (us-east-1)" in run.output
    assert "atlas_access_list:" in run.output and "/32" in run.output
    assert _writes(emulators.requests("moto")[before:]) == []
    assert _writes(emulators.requests("atlas")[atlas_before:]) == []


def test_destroy_needs_confirmation_and_then_removes_everything(emulators, deployed):
    refused = playbook(emulators, "destroy.yml")
    assert refused.rc != 0 and "Not confirmed" in refused.output
    assert _stack_resources(emulators) != []
    assert [r for r in _atlas_entries(emulators) if "managed-by:stackops.ecs_webstack" in r.get("comment", "")]

    destroyed = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes")
    assert destroyed.rc == 0, destroyed.output[-4000:]
    assert _stack_resources(emulators) == []
    managed = [r for r in _atlas_entries(emulators) if "managed-by:stackops.ecs_webstack" in r.get("comment", "")]
    assert managed == []
    again = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
