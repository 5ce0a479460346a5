#!/usr/bin/env python3
"""nginx_discovery benchmark (issue 6): the role's `variable` mode against the original design, in one run.

Everything on loopback with Debian's nginx: a DNS stand-in for Cloud Map, backend processes on 127.0.0.2..,
the configuration rendered by the role, and a baseline like the original deployment (nginx pinned to ONE
backend address, re-pinned every 30 s; every baseline phase runs inside one 30 s pin, as after a switch).

Figures (ratios and counts, not absolute speeds):
  lost      requests that failed while one of 3 backends was SIGKILLed under load    goal 0
  balance   max/min requests per backend over 3 backends                              goal <= 1.25
  pickup    seconds from the DNS change until a new backend answers                  goal <= TTL + 1
  overhead  proxied throughput / direct-to-backend throughput, same concurrency      goal >= 0.8
            (goal judged with a backend that spends 5 ms per request; the 0 ms figure, where the client,
            nginx and the backends only compete for the same 2 shared cores, is printed for information)

For information, the same throughput through the role's upstream_resolve rendering with the name replaced by
the three fixed addresses (nginx 1.22 lacks `resolve`): what upstream keepalive saves over `variable` mode.

Prints a table, writes benchmarks/results/nginx_discovery.json. Exits non-zero only when the harness fails.
"""
from __future__ import annotations

import importlib.util
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("nginx_discovery_harness",
                                               REPO / "tests" / "integration" / "nginx" / "harness.py")
h = importlib.util.module_from_spec(_spec)
sys.modules["nginx_discovery_harness"] = h
_spec.loader.exec_module(h)

RESULTS = REPO / "benchmarks" / "results" / "nginx_discovery.json"
TTL = 2             # DNS record TTL = the role's nginx_discovery_resolver_valid here
CONCURRENCY = 8     # client connections in every phase
PHASE = 3.0         # seconds of load per phase
KILL_AT = 1.0       # seconds into the kill phase
SERVICE_MS = (0, 5)  # backend "work" per request in the throughput phases; the goal is judged at 5 ms
PIN_PERIOD = 30.0   # the original design's switch interval
API = "/api/whoami"


class PinnedBaseline:
    """The original design: ask DNS for the backend, pin nginx to one address, switch every 30 s."""

    def __init__(self, dns: h.DnsServer, nginx: h.Nginx, listen_port: int, backend_port: int, static_root: Path):
        self.dns, self.nginx = dns, nginx
        self.listen_port, self.backend_port, self.static_root = listen_port, backend_port, static_root
        self.pinned: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def lookup(self) -> list[str]:
        from dnslib import QTYPE, DNSRecord

        answer = DNSRecord.parse(DNSRecord.question(self.dns.name).send(self.dns.host, self.dns.port, timeout=2))
        return [str(rr.rdata) for rr in answer.rr if rr.rtype == QTYPE.A]

    def config(self, address: str) -> str:
        return h.pinned_baseline_config(self.listen_port, address, self.backend_port, self.static_root)

    def pin(self, address: str | None = None) -> str:
        addrs = self.lookup()
        choice = address or random.choice([a for a in addrs if a != self.pinned] or addrs)
        self.pinned = choice
        self.nginx.reload(self.config(choice))
        return choice

    def restart_timer(self) -> None:
        """Re-pin now and then every PIN_PERIOD seconds (phases are shorter, so they see one pin)."""
        self.stop()
        self._stop = threading.Event()
        self.pin()

        def loop(stop=self._stop):
            while not stop.wait(PIN_PERIOD):
                self.pin()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)


def ratio(counts: dict[str, int], names: list[str]) -> float | None:
    values = [counts.get(n, 0) for n in names]
    return None if min(values) == 0 else round(max(values) / min(values), 3)


def rps(results: list[h.Result]) -> float:
    ok = [r for r in results if r.status == 200]
    if len(ok) < 2:
        return 0.0
    span = max(r.end for r in ok) - min(r.start for r in ok)
    return len(ok) / span if span > 0 else 0.0


def phase_balance(port: int) -> dict:
    results = h.run_load([("127.0.0.1", port)], API, CONCURRENCY, PHASE, max_requests=60000)
    counts = h.shares(results)
    return {"requests": len(results), "failed": len(h.failures(results)), "per_backend": counts,
            "max_min": ratio(counts, ["b1", "b2", "b3"])}


def phase_kill(port: int, victim: h.Backend) -> dict:
    load = h.LoadThread([("127.0.0.1", port)], API + "?delay_ms=5", concurrency=CONCURRENCY, duration=PHASE,
                        max_requests=60000, timeout=10)
    load.start()
    time.sleep(KILL_AT)
    killed_at = time.monotonic()
    victim.kill()
    results = load.join(60)
    lost = h.failures(results)
    return {"requests": len(results), "lost": len(lost), "killed": victim.name,
            "lost_fraction": round(len(lost) / max(1, len(results)), 4),
            "requests_after_kill": sum(1 for r in results if r.start >= killed_at),
            "served_by_victim_before_kill": sum(1 for r in results if r.backend == victim.name)}


def phase_pickup(port: int, dns: h.DnsServer, group: list[h.Backend], newcomer: h.Backend) -> dict:
    dns.set_records([b.host for b in group])
    window = TTL + 3
    load = h.LoadThread([("127.0.0.1", port)], API, concurrency=2, duration=window + 0.5, max_requests=60000)
    load.start()
    time.sleep(0.5)
    added_at = dns.set_records([b.host for b in group + [newcomer]])
    results = load.join(60)
    first = min((r.start for r in results if r.backend == newcomer.name), default=None)
    return {"seconds": None if first is None else round(first - added_at, 3), "window": window,
            "failed": len(h.failures(results))}


def phase_throughput(ports: dict[str, int], group: list[h.Backend], service_ms: int, rounds: int = 2) -> dict:
    """Per round: direct (the client spreads its connections over the backends), then each proxy; ratios of
    the mean request rates. Alternating keeps slow drifts of the shared machine out of the ratios."""
    path = API + (f"?delay_ms={service_ms}" if service_ms else "")
    rates: dict[str, list[float]] = {"direct": [], **{name: [] for name in ports}}
    for _ in range(rounds):
        rates["direct"].append(rps(h.run_load([(b.host, b.port) for b in group], path, CONCURRENCY, PHASE / 2,
                                              max_requests=200000)))
        for name, port in ports.items():
            rates[name].append(rps(h.run_load([("127.0.0.1", port)], path, CONCURRENCY, PHASE / 2,
                                              max_requests=200000)))
    direct = statistics.mean(rates["direct"])
    return {name: round(statistics.mean(rates[name]) / direct, 3) if direct else None for name in ports}


def measure(label: str, port: int, dns: h.DnsServer, backends: list[h.Backend], newcomer: h.Backend,
            before_phase) -> dict:
    group = backends[:3]
    out: dict = {}
    dns.set_records([b.host for b in group])
    before_phase()
    h.run_load([("127.0.0.1", port)], API, 2, 2.0, max_requests=50)  # warm up / resolve
    out["balance"] = phase_balance(port)
    pinned = before_phase()
    victim = next((b for b in group if b.host == pinned), group[1])
    out["kill"] = phase_kill(port, victim)
    victim.start()
    before_phase()
    out["pickup"] = phase_pickup(port, dns, group, newcomer)
    dns.set_records([b.host for b in group])
    print(f"  measured {label}", file=sys.stderr, flush=True)
    return out


def goals(m: dict) -> dict:
    overhead = m["throughput"][f"service_{SERVICE_MS[-1]}ms"]
    return {
        "lost_during_kill == 0": m["kill"]["lost"] == 0,
        "balance_max_min <= 1.25": m["balance"]["max_min"] is not None and m["balance"]["max_min"] <= 1.25,
        f"pickup_seconds <= TTL+1 ({TTL + 1})": m["pickup"]["seconds"] is not None and m["pickup"]["seconds"] <= TTL + 1,
        f"throughput_ratio_{SERVICE_MS[-1]}ms >= 0.8": overhead is not None and overhead >= 0.8,
    }


def fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def table(variable: dict, baseline: dict) -> str:
    rows = [
        ("requests lost during a backend kill", "0",
         lambda m: f"{m['kill']['lost']}/{m['kill']['requests']}"),
        ("max/min share across 3 backends", "<= 1.25", lambda m: fmt(m["balance"]["max_min"]) if
         m["balance"]["max_min"] else f"inf {m['balance']['per_backend']}"),
        (f"seconds until a new backend gets traffic (TTL {TTL})", f"<= {TTL + 1}",
         lambda m: fmt(m["pickup"]["seconds"]) if m["pickup"]["seconds"] is not None
         else f"none in {m['pickup']['window']} s"),
        *[(f"proxied/direct throughput, backend {ms} ms{'' if ms == SERVICE_MS[-1] else ' (info)'}",
           ">= 0.8" if ms == SERVICE_MS[-1] else "", lambda m, ms=ms: fmt(m["throughput"][f"service_{ms}ms"]))
          for ms in SERVICE_MS],
    ]
    lines = [f"{'figure':<52} {'goal':>8} {'variable':>12} {'baseline':>28}", "-" * 103]
    for name, goal, get in rows:
        lines.append(f"{name:<52} {goal:>8} {get(variable):>12} {get(baseline):>28}")
    return "\n".join(lines)


def main() -> int:
    started = time.monotonic()
    load_before = os.getloadavg()
    nginx_bin = h.find_nginx()
    tmp = Path(tempfile.mkdtemp(prefix="nginx_discovery_bench."))
    dns = h.DnsServer(ttl=TTL).start()
    backend_port = h.free_port(hosts=tuple(h.backend_address(i) for i in range(4)))
    var_port, base_port, keep_port = h.free_port(), h.free_port(), h.free_port()
    static_root = h.make_static_root(tmp / "spa")
    running: list = []
    baseline = None
    try:
        dest = tmp / "variable.conf"
        keep_dest = tmp / "upstream_resolve.conf"
        h.run_role({"variable": h.role_vars("variable", dns, backend_port, var_port, static_root, dest, TTL,
                                            nginx_discovery_access_log="off"),
                    "upstream_resolve": h.role_vars("upstream_resolve", dns, backend_port, keep_port, static_root,
                                                    keep_dest, TTL, nginx_discovery_access_log="off")},
                   tmp / "run")
        backends = h.start_backends(4, backend_port)
        running += backends
        group, newcomer = backends[:3], backends[3]
        dns.set_records([b.host for b in group])

        var_nginx = h.Nginx(dest.read_text(), tmp / "nginx-variable", ("127.0.0.1", var_port), nginx_bin).start()
        running.append(var_nginx)
        base_nginx = h.Nginx(h.pinned_baseline_config(base_port, group[0].host, backend_port, static_root),
                             tmp / "nginx-baseline", ("127.0.0.1", base_port), nginx_bin).start()
        running.append(base_nginx)
        baseline = PinnedBaseline(dns, base_nginx, base_port, backend_port, static_root)

        m_var = measure("variable", var_port, dns, backends, newcomer, lambda: None)

        def repin():
            baseline.restart_timer()
            return baseline.pinned

        m_base = measure("baseline", base_port, dns, backends, newcomer, repin)

        keep_nginx = h.Nginx(h.without_resolve(keep_dest.read_text(), [b.host for b in group]),
                             tmp / "nginx-keepalive", ("127.0.0.1", keep_port), nginx_bin).start()
        running.append(keep_nginx)
        baseline.restart_timer()
        ports = {"variable": var_port, "baseline": base_port, "upstream_keepalive_standin": keep_port}
        through = {f"service_{ms}ms": phase_throughput(ports, group, ms) for ms in SERVICE_MS}
        m_var["throughput"] = {k: v["variable"] for k, v in through.items()}
        m_base["throughput"] = {k: v["baseline"] for k, v in through.items()}
        standin = {k: v["upstream_keepalive_standin"] for k, v in through.items()}
        print("  measured throughput", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001 - harness failure: report and exit non-zero
        traceback.print_exc()
        return 2
    finally:
        if baseline:
            baseline.stop()
        for item in reversed(running):
            item.stop()
        dns.stop()

    met = goals(m_var)
    report = {
        "benchmark": "nginx_discovery",
        "nginx": ".".join(map(str, h.nginx_version(nginx_bin))),
        "python": platform.python_version(),
        "ttl_seconds": TTL, "concurrency": CONCURRENCY, "phase_seconds": PHASE,
        "variable": m_var,
        "baseline_pinned_30s": m_base,
        "upstream_keepalive_standin_throughput": standin,
        "goals_variable": met,
        "goals_baseline": goals(m_base),
        "duration_seconds": round(time.monotonic() - started, 1),
        # the machine is shared: throughput ratios drop as other processes compete for its cores
        "cpus": os.cpu_count(),
        "loadavg_1min_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"nginx_discovery benchmark (nginx {report['nginx']}, loopback, {CONCURRENCY} connections, TTL {TTL} s, "
          f"{report['cpus']} CPUs, load average {report['loadavg_1min_before_after'][0]} -> "
          f"{report['loadavg_1min_before_after'][1]})")
    print(table(m_var, m_base))
    print("baseline = original design: one backend address pinned, switched every 30 s (phases run inside one pin;"
          " the kill hits the pinned task)")
    print("upstream keepalive stand-in (role's upstream_resolve rendering, fixed addresses), proxied/direct: "
          + ", ".join(f"backend {k.split('_')[1]} {fmt(v)}" for k, v in standin.items()))
    for goal, ok in met.items():
        print(f"goal {goal}: {'met' if ok else 'NOT met'}")
    print(f"wrote {RESULTS.relative_to(REPO)} in {report['duration_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
