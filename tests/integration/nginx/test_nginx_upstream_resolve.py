"""The nginx_discovery role's upstream_resolve mode (nginx 1.27.3 and later).

Debian 12 ships nginx 1.22, which knows neither `server ... resolve` (open source since 1.27.3) nor
`resolver` inside `upstream`. What can be checked here is checked: the rendered structure; that the local
nginx rejects exactly those parts when it is older than 1.27.3 (and accepts the file when it is newer);
and that everything else — the upstream with zone, max_fails, keepalive and the proxied location — passes
`nginx -t` and proxies traffic when the name is replaced by fixed addresses.
"""
from __future__ import annotations

import re

import nginx_discovery_harness as h

TTL = h.TEST_TTL  # DNS record TTL = nginx_discovery_resolver_valid

API = "/api/whoami"


def test_upstream_resolve_structure(rendered, dns_server, ports):
    text = rendered["upstream_resolve"]["text"]
    block = h.upstream_block(text)
    assert block.startswith("upstream nginx_discovery_backend {")
    assert "zone nginx_discovery_backend 64k;" in block
    assert f"resolver {dns_server.address} valid={TTL}s ipv6=off;" in block
    assert "resolver_timeout 2s;" in block
    assert f"server {dns_server.name}:{ports['backend']} resolve max_fails=1 fail_timeout=10s;" in block
    assert "keepalive 16;" in block
    assert block.index("server ") < block.index("keepalive ")  # keepalive after the servers
    assert "proxy_pass http://nginx_discovery_backend;" in text
    assert 'proxy_set_header Connection "";' in text and "proxy_http_version 1.1;" in text  # for keepalive
    assert "set $backend_host" not in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in text
    # no resolver outside the upstream: nginx resolves the name only there
    assert len(re.findall(r"^\s*resolver ", text, re.M)) == 1


def test_local_nginx_and_the_resolve_parameter(rendered, nginx_bin):
    text = rendered["upstream_resolve"]["text"]
    proc = h.nginx_test(text, nginx_bin)
    if h.nginx_version(nginx_bin) >= (1, 27, 3):
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode != 0
        assert re.search(r'"resolver" directive is not allowed here|invalid parameter "resolve"', proc.stderr), \
            proc.stderr
        # the role skipped its own nginx -t for this mode, and said why
        assert "older than 1.27.3" in rendered["upstream_resolve"]["log"]


def test_upstream_resolve_without_resolve_passes_nginx_t(rendered, nginx_bin):
    text = h.without_resolve(rendered["upstream_resolve"]["text"], ["127.0.0.2", "127.0.0.3"])
    assert " resolve" not in h.upstream_block(text)
    proc = h.nginx_test(text, nginx_bin)
    assert proc.returncode == 0, proc.stderr


def test_upstream_resolve_without_resolve_balances_and_survives_a_kill(rendered, backends, nginx, listen_port):
    group = backends(3)
    text = h.without_resolve(rendered["upstream_resolve"]["text"], [b.host for b in group])
    server = nginx("upstream_resolve", text=text)
    results = h.run_load([("127.0.0.1", listen_port)], API, concurrency=3, duration=20, max_requests=150)
    assert h.failures(results) == []
    assert set(h.shares(results)) == {"b1", "b2", "b3"}

    load = h.LoadThread([("127.0.0.1", listen_port)], API + "?delay_ms=20", concurrency=6, duration=3.0,
                        max_requests=5000)
    load.start()
    group[0].kill()
    results = load.join(30)
    assert h.failures(results) == [], h.failures(results)[:3]
    assert server.proc.poll() is None
