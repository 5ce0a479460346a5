"""Faults during a deploy: Atlas answering 429, 500 and slowly; a deploy interrupted half way.
Both must converge to the same end state as a clean deploy, with nothing duplicated or lost."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from .stackrun import REPO, atlas_entries, playbook, stack_resources


def _faults(emulators, specs):
    url = "http://127.0.0.1:%d/_standin/faults" % emulators.cfg["atlas_port"]
    request = urllib.request.Request(url, data=json.dumps(specs).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback stand-in
        return json.loads(response.read())


def _kinds(resources):
    counts = {}
    for resource in resources:
        kind = resource.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _nat_ips(emulators):
    session, url = emulators.boto3_session()
    gateways = session.client("ec2", endpoint_url=url).describe_nat_gateways(
        Filters=[{"Name": "tag:webstack:stack", "Values": ["webstack"]}, {"Name": "state", "Values": ["available"]}])
    return sorted(a["PublicIp"] + "/32" for g in gateways["NatGateways"] for a in g["NatGatewayAddresses"])


def _managed(emulators):
    return sorted(e["cidrBlock"] for e in atlas_entries(emulators)
                  if e.get("comment", "").startswith("managed-by:stackops.ecs_webstack:"))


def test_atlas_rate_limits_errors_and_slowness_converge(emulators):
    emulators.reset()
    clean = playbook(emulators, "deploy.yml")
    assert clean.rc == 0, clean.output[-4000:]
    expected_resources = _kinds(stack_resources(emulators))
    assert _managed(emulators) == _nat_ips(emulators) and len(_nat_ips(emulators)) == 1

    emulators.reset()
    _faults(emulators, [
        {"status": 429, "count": 2, "retry_after": 1},
        {"status": 500, "count": 2},
        {"delay": 2, "count": 2},
    ])
    faulty = playbook(emulators, "deploy.yml")
    assert faulty.rc == 0, faulty.output[-4000:]
    statuses = [r.get("status") for r in emulators.requests("atlas")]
    assert statuses.count(429) == 2 and statuses.count(500) == 2, statuses
    assert _kinds(stack_resources(emulators)) == expected_resources
    assert _managed(emulators) == _nat_ips(emulators) and len(_nat_ips(emulators)) == 1
    again = playbook(emulators, "deploy.yml")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()


def test_interrupted_deploy_converges_without_duplicates(emulators):
    emulators.reset()
    env = emulators.env()
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "inventories/local",
           "playbooks/deploy.yml"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        # Interrupt as soon as the network is half built (subnets exist, the NAT does not yet).
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            actions = [r["action"] for r in emulators.requests("moto")]
            if "CreateSubnet" in actions:
                break
            assert proc.poll() is None, "the deploy ended before it could be interrupted"
            time.sleep(0.2)
        else:
            raise AssertionError("the deploy never reached the network role")
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "CreateNatGateway" not in [r["action"] for r in emulators.requests("moto")]

    resumed = playbook(emulators, "deploy.yml")
    assert resumed.rc == 0, resumed.output[-4000:]
    kinds = _kinds(stack_resources(emulators))
    assert kinds.get("vpc") == 1 and kinds.get("nat") == 1 and kinds.get("eip") == 1, kinds
    assert kinds.get("subnet") == 4, kinds
    assert _managed(emulators) == _nat_ips(emulators) and len(_nat_ips(emulators)) == 1
    again = playbook(emulators, "deploy.yml")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
