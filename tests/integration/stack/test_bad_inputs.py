"""Bad inventory values stop deploy.yml in its first play, before any AWS or Atlas call, with a message
that names the variable the user set and says what is wrong (issue 14).

Each case is one `ansible-playbook playbooks/deploy.yml -e ...` against freshly reset emulators; the
request logs of moto and of the Atlas stand-in must stay empty (the first play makes no call at all, so
any request means the bad value got past it). A positive control proves the open-entry consent passes.
"""

from __future__ import annotations

import json

import pytest

from .stackrun import REPO, playbook

SECOND_PLAY = "PLAY [Deploy the web stack]"


def _services(**changes):
    """The local inventory's webstack_services with ``changes`` (service name -> fields) laid over its entries."""
    import os

    import yaml

    with open(os.path.join(REPO, "inventories", "local", "group_vars", "all", "main.yml"), encoding="utf-8") as handle:
        services = yaml.safe_load(handle)["webstack_services"]
    return {"webstack_services": [dict(entry, **changes.get(entry["name"], {})) for entry in services]}


def _open(*entries, **more):
    return dict(more, atlas_access_extra_entries=[dict(entry, comment="case") for entry in entries])


# id -> (extra vars, the variable the message must name, what the message must say)
CASES = {
    # Open to the world, in production: refused whatever atlas_access_allow_open says.
    "prod-cidr-0.0.0.0/00": (
        _open({"cidr_block": "0.0.0.0/00"}, webstack_production=True),
        "atlas_access_extra_entries[0].cidr_block", "refused because atlas_access_production (webstack_production) is true"),
    "prod-ip-::/0-with-consent": (
        _open({"cidr_block": "203.0.113.0/24"}, {"ip_address": "::/0"}, webstack_production=True,
              atlas_access_allow_open=True),
        "atlas_access_extra_entries[1].ip_address", "refused because atlas_access_production"),
    "prod-cidr-ipv4-mapped": (
        _open({"cidr_block": "::ffff:0.0.0.0/96"}, webstack_production="yes"),
        "atlas_access_extra_entries[0].cidr_block", "would admit the whole internet"),
    "prod-open-mode-with-consent": (
        {"webstack_production": True, "atlas_access_mode": "open", "atlas_access_allow_open": True},
        "atlas_access_mode=open", "refused because atlas_access_production"),
    # Open to the world outside production, without the consent flag.
    "dev-cidr-padded": (
        _open({"cidr_block": " 0.0.0.0/0 "}),
        "atlas_access_extra_entries[0].cidr_block", "set atlas_access_allow_open=true"),
    "dev-cidr-host-bits-/0": (
        _open({"cidr_block": "10.0.0.0/0"}),
        "atlas_access_extra_entries[0].cidr_block", "set atlas_access_allow_open=true"),
    "dev-cidr-ipv6-long": (
        _open({"cidr_block": "0000:0000:0000:0000:0000:0000:0000:0000/0"}),
        "atlas_access_extra_entries[0].cidr_block", "would admit the whole internet"),
    "dev-ip-0::0/0": (
        _open({"ip_address": "0::0/0"}),
        "atlas_access_extra_entries[0].ip_address", "set atlas_access_allow_open=true"),
    # Wrong types: said so, not reported as a range error of a value | int or | bool made up.
    "cpu-abc": ({"webstack_backend_cpu": "abc"}, "webstack_backend_cpu", "must be an integer (got 'abc')"),
    "count-two": ({"webstack_backend_desired_count": "two"}, "webstack_backend_desired_count",
                  "must be an integer (got 'two')"),
    "port-80.5": ({"webstack_backend_port": "80.5"}, "webstack_backend_port", "must be an integer (got '80.5')"),
    "nat-maybe": ({"network_nat_gateway": "maybe"}, "network_nat_gateway", "must be true or false (got 'maybe')"),
    "production-perhaps": ({"webstack_production": "perhaps"}, "webstack_production",
                           "must be true or false (got 'perhaps')"),
    "ttl-list": ({"webstack_backend_discovery_ttl": []}, "webstack_backend_discovery_ttl", "must be an integer (got [])"),
    "atlas-wait-sure": ({"atlas_access_wait": "sure"}, "atlas_access_wait", "must be true or false (got 'sure')"),
    # Range errors of values deploy.yml passes to a role under the role's name: reported under the user's.
    "cpu-300": ({"webstack_backend_cpu": 300}, "webstack_backend_cpu=300 with webstack_backend_memory=512",
                "is not a Fargate task size"),
    "ttl-0": ({"webstack_backend_discovery_ttl": 0}, "webstack_backend_discovery_ttl is 0", "use 1-300 seconds"),
    "port-70000": ({"webstack_backend_port": 70000}, "webstack_backend_port is 70000", "from 1 to 65535"),
    # Services as data (the local inventory's webstack_services): named by entry and field.
    "services-worker-cpu-abc": (_services(worker={"cpu": "abc"}), "webstack_services[worker].cpu", "must be a whole number"),
    "services-unknown-reach": (_services(worker={"reaches": ["redis", "mailer"]}), "webstack_services[worker].reaches",
                               "names 'mailer', which is neither a service"),
    "services-typo-field": (_services(worker={"replicas": 2}), "webstack_services[worker]", "unknown field replicas"),
    "services-worker-fargate-size": (_services(worker={"cpu": 300}),
                                     "webstack_services[worker].cpu=300 with webstack_services[worker].memory=512",
                                     "is not a Fargate task size"),
    "services-secrets-of-no-service": (
        _services(backend={"name": "api"}, frontend={"routes": [{"path": "/api/", "service": "api"}], "reaches": ["api"]}),
        "app_secrets_items names the service(s) backend", "which webstack_services does not list"),
    "services-and-an-old-variable": ({"webstack_backend_cpu": 512}, "webstack_backend_cpu is set, but so is webstack_services",
                                     "move the value to webstack_services[backend].cpu"),
}
# The cases that set a per-service variable of earlier releases run on an inventory written for them.
LEGACY = {case for case, (extra, _v, _s) in CASES.items()
          if case != "services-and-an-old-variable" and any(k.startswith(("webstack_backend_", "webstack_frontend_")) for k in extra)}


def _requests(emulators):
    return {which: emulators.requests(which) for which in ("moto", "atlas", "front")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_stops_the_first_play_naming_the_variable(emulators, legacy, case):
    extra, variable, says = CASES[case]
    emulators.reset()
    inventory = legacy if case in LEGACY else "inventories/local"
    run = playbook(emulators, "deploy.yml", "-e", json.dumps(extra), inventory=inventory, timeout=300)
    assert run.rc != 0, run.output[-3000:]
    text = " ".join(run.output.split())  # the callback wraps long messages
    assert variable in text and says in text, run.output[-3000:]
    assert SECOND_PLAY not in run.output, "the bad value got past the first play:\n" + run.output[-3000:]
    assert _requests(emulators) == {"moto": [], "atlas": [], "front": []}


def test_open_entry_with_consent_outside_production_passes_validation(emulators):
    """Positive control. A tag no task has runs the first play (tagged always) in full and no part of the
    second (the tag check passes an empty selection): rc 0 means every check passed, with no request."""
    emulators.reset()
    extra = _open({"cidr_block": "0.0.0.0/0"}, atlas_access_allow_open=True)
    run = playbook(emulators, "deploy.yml", "-e", json.dumps(extra), "--tags", "validation-only", timeout=300)
    assert run.rc == 0, run.output[-3000:]
    assert SECOND_PLAY in run.output and run.recap["localhost"]["failed"] == 0
    assert "would admit the whole internet" not in run.output
    assert _requests(emulators) == {"moto": [], "atlas": [], "front": []}
