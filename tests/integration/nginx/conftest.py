"""Fixtures for the nginx_discovery proof on loopback: DNS stand-in, backends, nginx running the
configuration rendered by the role (the role runs once per session, for both modes)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# Loaded under a unique name: other integration areas may have a harness.py of their own.
_spec = importlib.util.spec_from_file_location("nginx_discovery_harness", Path(__file__).with_name("harness.py"))
harness = importlib.util.module_from_spec(_spec)
sys.modules["nginx_discovery_harness"] = harness
_spec.loader.exec_module(harness)

TTL = harness.TEST_TTL


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    return harness.find_nginx()  # raises (test error, not a skip) when nginx is missing


@pytest.fixture(scope="session")
def dns_server():
    server = harness.DnsServer(ttl=TTL).start()
    yield server
    server.stop()


@pytest.fixture
def dns(dns_server):
    """The session DNS server, emptied (NXDOMAIN) at the start of each test."""
    dns_server.silent = False
    dns_server.set_records([], ttl=TTL)
    return dns_server


@pytest.fixture(scope="session")
def ports():
    return {
        "backend": harness.free_port(hosts=tuple(harness.backend_address(i) for i in range(5))),
        "listen": harness.free_port("127.0.0.1"),
    }


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    return harness.make_static_root(tmp_path_factory.mktemp("spa"))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, dns_server, ports, static_root, nginx_bin):
    """Runs the role once (both modes as two inventory hosts); returns {mode: {"text", "fact", "path"}}."""
    out = tmp_path_factory.mktemp("rendered")
    hosts = {
        mode: harness.role_vars(mode, dns_server, ports["backend"], ports["listen"], static_root,
                                out / f"{mode}.conf", TTL)
        for mode in ("variable", "upstream_resolve")
    }
    proc = harness.run_role(hosts, out / "run")
    result = {}
    for mode in hosts:
        path = out / f"{mode}.conf"
        result[mode] = {"text": path.read_text(), "fact": Path(f"{path}.fact").read_text(), "path": path,
                        "log": proc.stdout}
    return result


@pytest.fixture
def backends(ports):
    """start(n, first=0) -> list of running Backend on 127.0.0.{2+first}..; all killed at teardown."""
    started = []

    def start(count: int, first: int = 0):
        group = harness.start_backends(count, ports["backend"], first)
        started.extend(group)
        return group

    yield start
    for b in started:
        b.kill()


@pytest.fixture
def nginx(tmp_path, rendered, ports, nginx_bin):
    """start(mode="variable") -> running Nginx with the role's rendered configuration; stopped at teardown."""
    running = []

    def start(mode: str = "variable", text: str | None = None):
        server = harness.Nginx(text if text is not None else rendered[mode]["text"], tmp_path / f"nginx-{mode}",
                               ("127.0.0.1", ports["listen"]), nginx_bin)
        running.append(server)
        return server.start()

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def listen_port(ports) -> int:
    return ports["listen"]
