"""The nginx_discovery role's variable mode, proven with Debian's nginx on loopback (issue 6).

nginx runs the configuration the role rendered; a DNS stand-in plays Cloud Map; backends are separate
processes on 127.0.0.2, 127.0.0.3, ... that answer with their name (X-Backend).
"""
from __future__ import annotations

import json
import re
import time

import nginx_discovery_harness as h

TTL = h.TEST_TTL  # DNS record TTL = nginx_discovery_resolver_valid

API = "/api/whoami"


def warm_up(port: int, count: int = 20) -> None:
    """A few requests so that nginx has resolved (and cached) the name."""
    h.run_load([("127.0.0.1", port)], API, concurrency=1, duration=5, max_requests=count)


def test_role_fact_equals_written_file_and_nginx_accepts_it(rendered, nginx_bin):
    for mode in ("variable", "upstream_resolve"):
        assert rendered[mode]["fact"] == rendered[mode]["text"], mode
    text = rendered["variable"]["text"]
    proc = h.nginx_test(text, nginx_bin)
    assert proc.returncode == 0, proc.stderr
    # the role ran nginx -t itself in variable mode
    assert "Assert that nginx accepts the configuration" in rendered["variable"]["log"]


def test_variable_mode_directives(rendered, dns_server, ports):
    text = rendered["variable"]["text"]
    assert f"resolver {dns_server.address} valid={TTL}s ipv6=off;" in text
    assert f'set $backend_host "{dns_server.name}";' in text
    assert f"proxy_pass http://$backend_host:{ports['backend']};" in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in text
    assert re.search(r"proxy_next_upstream_tries [1-9][0-9]*;", text)
    assert re.search(r"proxy_next_upstream_timeout [0-9]+s;", text)
    assert "proxy_connect_timeout 1s;" in text
    assert not re.search(r"^\s*upstream ", text, re.M)


def test_requests_reach_every_backend(dns, backends, nginx, listen_port):
    group = backends(3)
    dns.set_records([b.host for b in group])
    nginx()
    results = h.run_load([("127.0.0.1", listen_port)], API, concurrency=3, duration=20, max_requests=150)
    assert len(results) == 150
    assert h.failures(results) == []
    counts = h.shares(results)
    assert set(counts) == {"b1", "b2", "b3"}, counts


def test_no_request_fails_when_a_backend_is_killed_under_load(dns, backends, nginx, listen_port):
    group = backends(3)
    dns.set_records([b.host for b in group])  # the dead task stays in DNS, as before ECS deregisters it
    server = nginx()
    warm_up(listen_port)
    load = h.LoadThread([("127.0.0.1", listen_port)], API + "?delay_ms=20", concurrency=6, duration=4.0,
                        max_requests=5000)
    load.start()
    time.sleep(1.5)
    killed_at = time.monotonic()
    group[1].kill()  # b2, possibly in the middle of requests
    results = load.join(30)

    lost = h.failures(results)
    assert lost == [], f"{len(lost)} of {len(results)} requests failed, e.g. {lost[:3]}"
    before = h.shares([r for r in results if r.end < killed_at])
    after = h.shares([r for r in results if r.start > killed_at + 0.05])
    assert before.get("b2", 0) > 0, before
    assert "b2" not in after, after
    assert after.get("b1", 0) > 0 and after.get("b3", 0) > 0, after
    # The dead address was still tried, and those requests went on to the next address.
    access = h.Path(rendered_access_log(server)).read_text()
    retried = [line for line in access.splitlines() if f"{group[1].host}:" in line and ", " in line]
    assert retried, "no request was passed from the killed backend to another one"
    assert all(" 200 " in line for line in retried)


def rendered_access_log(server: h.Nginx) -> str:
    match = re.search(r"access_log (\S+) ", server.server_conf.read_text())
    return match.group(1)


def test_backend_added_to_dns_gets_traffic_within_ttl(dns, backends, nginx, listen_port):
    group = backends(3)
    dns.set_records([b.host for b in group[:2]])
    nginx()
    warm_up(listen_port)
    # Bounded by time, not by a request count: a fast machine sends 20 000 requests before the TTL is up.
    load = h.LoadThread([("127.0.0.1", listen_port)], API, concurrency=2, duration=TTL + 3,
                        max_requests=h.UNLIMITED)
    load.start()
    time.sleep(0.3)
    added_at = dns.set_records([b.host for b in group])
    results = load.join(30)

    assert h.failures(results) == []
    h.assert_load_covers(results, added_at + TTL + 1)
    first_b3 = min((r.start for r in results if r.backend == "b3"), default=None)
    assert first_b3 is not None, "the added backend got no traffic"
    assert first_b3 - added_at <= TTL + 1, f"first request to the new backend {first_b3 - added_at:.2f}s after DNS"


def test_backend_removed_from_dns_gets_none_after_ttl(dns, backends, nginx, listen_port):
    group = backends(3)
    dns.set_records([b.host for b in group])
    nginx()
    warm_up(listen_port)
    # nginx's clock ticks in whole seconds: an answer cached for valid=TTL s is used for less than TTL + 1 s.
    window = TTL + 1
    load = h.LoadThread([("127.0.0.1", listen_port)], API, concurrency=2, duration=window + 2.5,
                        max_requests=h.UNLIMITED)
    load.start()
    time.sleep(0.5)
    removed_at = dns.set_records([b.host for b in group[:2]])  # b3 keeps running, as a draining task does
    results = load.join(30)

    assert h.failures(results) == []
    h.assert_load_covers(results, removed_at + window + 1)
    assert h.shares([r for r in results if r.end < removed_at]).get("b3", 0) > 0
    late = [r for r in results if r.backend == "b3" and r.start > removed_at + window]
    assert late == [], f"{len(late)} requests reached the removed backend after {window}s"
    last_b3 = max(r.start for r in results if r.backend == "b3")
    print(f"last request to the removed backend {last_b3 - removed_at:.2f}s after the DNS change")
    after = h.shares([r for r in results if r.start > removed_at + window])
    assert set(after) == {"b1", "b2"}, after


def test_starts_without_dns_answer_serves_static_and_fails_api_fast(dns, backends, nginx, listen_port):
    # The name does not exist yet (NXDOMAIN) when nginx starts.
    nginx()
    index = h.get(listen_port, "/")
    assert index.status == 200 and b"webstack-spa" in index.body
    assert index.headers.get("cache-control") == "no-cache"
    route = h.get(listen_port, "/orders/42")  # client-side route: the app shell
    assert route.status == 200 and b"webstack-spa" in route.body
    asset = h.get(listen_port, "/" + h.HASHED_ASSET, headers={"Accept-Encoding": "gzip"})
    assert asset.status == 200
    assert "immutable" in asset.headers.get("cache-control", "")
    assert "max-age=31536000" in asset.headers.get("cache-control", "")
    assert asset.headers.get("content-encoding") == "gzip"
    missing = h.get(listen_port, "/assets/index-DeadBeef9.js")
    assert missing.status == 404  # never index.html for a script
    health = h.get(listen_port, "/healthz")
    assert health.status == 200 and health.body == b"ok\n"

    api = h.get(listen_port, API, timeout=5)
    assert api.status in (502, 503), api

    # An unreachable resolver: the API still answers (504/502 after resolver_timeout), it does not hang.
    dns.silent = True
    time.sleep(TTL + 1)  # let the negative answer expire so nginx asks again
    api = h.get(listen_port, API, timeout=10)
    assert api.status in (502, 503, 504), api
    dns.silent = False

    # Once the backend appears, it is used within the TTL.
    group = backends(1)
    added_at = dns.set_records([group[0].host])
    deadline = added_at + TTL + 1
    ok = None
    while time.monotonic() < deadline + 0.5:
        r = h.get(listen_port, API, timeout=5)
        if r.status == 200:
            ok = r
            break
        time.sleep(0.1)
    assert ok is not None and ok.backend == "b1"
    assert ok.start - added_at <= TTL + 1


def test_forwarded_headers_and_request_id(dns, backends, nginx, listen_port):
    group = backends(1)
    dns.set_records([group[0].host])
    nginx()
    r = h.get(listen_port, API, headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "forged"})
    assert r.status == 200
    seen = json.loads(r.body)["headers"]
    rid = r.headers.get("x-request-id", "")
    assert re.fullmatch(r"[0-9a-f]{32}", rid), r.headers
    assert seen["x-request-id"] == rid
    assert seen["x-forwarded-for"] == "127.0.0.1"  # nginx is the edge: a forged XFF is replaced
    assert seen["x-real-ip"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == "frontend.test"
    assert seen["host"] == "frontend.test"
    static = h.get(listen_port, "/")
    assert re.fullmatch(r"[0-9a-f]{32}", static.headers.get("x-request-id", ""))
