"""The nginx_discovery role's validation: bad inventory values stop the role before anything is written,
with a message that names the variable. One ansible-playbook run, one inventory host per bad value."""
from __future__ import annotations

import re

import pytest

import nginx_discovery_harness as h

GOOD = {
    "nginx_discovery_backend_name": "api.webstack.test",
    "nginx_discovery_resolver": ["127.0.0.1:5353"],
    "nginx_discovery_access_log": "off",
}
BAD = {
    "empty_name": ({"nginx_discovery_backend_name": ""}, "nginx_discovery_backend_name"),
    "bad_name": ({"nginx_discovery_backend_name": "api_backend..local"}, "nginx_discovery_backend_name"),
    "port_range": ({"nginx_discovery_backend_port": 70000}, "nginx_discovery_backend_port"),
    "listen_port_zero": ({"nginx_discovery_listen_port": 0}, "nginx_discovery_listen_port"),
    "resolver_format": ({"nginx_discovery_resolver": ["dns.example:53"]}, "nginx_discovery_resolver"),
    "resolver_port": ({"nginx_discovery_resolver": ["10.0.0.2:99999"]}, "nginx_discovery_resolver"),
    "resolver_empty": ({"nginx_discovery_resolver": []}, "nginx_discovery_resolver"),
    "valid_zero": ({"nginx_discovery_resolver_valid": 0}, "nginx_discovery_resolver_valid"),
    "mode_choice": ({"nginx_discovery_mode": "round_robin"}, "nginx_discovery_mode"),
    "timeout_syntax": ({"nginx_discovery_connect_timeout": "1 second"}, "nginx_discovery_connect_timeout"),
    "tries_zero": ({"nginx_discovery_next_upstream_tries": 0}, "nginx_discovery_next_upstream_tries"),
    "next_upstream": ({"nginx_discovery_next_upstream": ["error", "http_418"]}, "nginx_discovery_next_upstream"),
    "api_location": ({"nginx_discovery_api_location": "/api"}, "nginx_discovery_api_location"),
    "static_root": ({"nginx_discovery_static_root": "html"}, "nginx_discovery_static_root"),
}


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bad")
    hosts = {"good": {**GOOD, "nginx_discovery_config_dest": str(out / "good.conf")},
             # the controller need not be able to write the container's log directory for nginx -t
             "log_elsewhere": {**GOOD, "nginx_discovery_config_dest": str(out / "log_elsewhere.conf"),
                               "nginx_discovery_access_log": "/nonexistent/nginx/access.log"}}
    for name, (override, _var) in BAD.items():
        hosts[name] = {**GOOD, "nginx_discovery_config_dest": str(out / f"{name}.conf"), **override}
    proc = h.run_role(hosts, out / "run", check=False)
    return out, proc.stdout + proc.stderr


def failure_of(output: str, host: str) -> str:
    # "fatal: [host]: FAILED!" for a task, "failed: [host] (item=...)" for an item of a loop
    match = re.search(rf"^(?:fatal|failed): \[{re.escape(host)}\].*?(?=^fatal: |^failed: |^ok: |^TASK |^PLAY RECAP)",
                      output, re.M | re.S)
    return match.group(0) if match else ""


@pytest.mark.parametrize("host", sorted(BAD))
def test_bad_value_stops_the_role_naming_the_variable(bad_run, host):
    out, output = bad_run
    failure = failure_of(output, host)
    assert failure, f"{host} did not fail:\n{output[-3000:]}"
    assert BAD[host][1] in failure, failure
    assert not (out / f"{host}.conf").exists()


def test_good_values_in_the_same_run_pass(bad_run):
    out, output = bad_run
    assert failure_of(output, "good") == ""
    assert "listen 80;" in (out / "good.conf").read_text()
    assert re.search(r"^good\s+: ok=\d+\s+changed=2\s+unreachable=0\s+failed=0", output, re.M), output[-2000:]


def test_syntax_check_does_not_open_the_configured_log(bad_run):
    out, output = bad_run
    assert failure_of(output, "log_elsewhere") == ""
    assert "access_log /nonexistent/nginx/access.log nginx_discovery;" in (out / "log_elsewhere.conf").read_text()
    assert re.search(r"^log_elsewhere\s+: ok=\d+\s+changed=2\s+unreachable=0\s+failed=0", output, re.M)
