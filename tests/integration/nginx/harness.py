"""Loopback harness for the nginx_discovery role: a DNS stand-in for Cloud Map, backend processes that
answer with their identity, Debian's nginx running the configuration rendered by the role, and a small
asyncio load generator.

Shared by the pytest suite (conftest.py) and benchmarks/nginx_discovery.py. Everything binds 127.0.0.x
only; every loop is bounded by a deadline or a request count.

Run as a script (`python harness.py backend --name b1 --host 127.0.0.2 --port 18080`) it is one backend.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
COLLECTIONS_DIR = REPO / ".build" / "collections"
COLLECTION_LINK = COLLECTIONS_DIR / "ansible_collections" / "stackops" / "ecs_webstack"
RENDER_PLAYBOOK = HERE / "render.yml"
BACKEND_NAME = "api.webstack.test"
TEST_TTL = 2  # seconds: the DNS record TTL and the role's nginx_discovery_resolver_valid in the tests


# --------------------------------------------------------------------------------------------- ports


def free_port(host: str = "127.0.0.1", udp_too: bool = False, hosts: tuple[str, ...] = ()) -> int:
    """A TCP port free on `host` (and on every address in `hosts`, and for UDP when udp_too)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        try:
            with contextlib.ExitStack() as stack:
                for h in hosts or (host,):
                    t = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                    t.bind((h, port))
                if udp_too:
                    u = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                    u.bind((host, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port found")


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {host}:{port} accepted connections")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"{host}:{port} did not accept connections within {timeout}s")


def backend_address(index: int) -> str:
    """127.0.0.2, 127.0.0.3, ... for backend 0, 1, ..."""
    return f"127.0.0.{2 + index}"


# ----------------------------------------------------------------------------------------------- DNS


class DnsServer:
    """Answers A queries for one name with the current addresses and TTL (UDP and TCP on 127.0.0.1).

    An empty address set answers NXDOMAIN (the name does not exist yet); `silent=True` drops every
    query (an unreachable resolver). Other names are NXDOMAIN; AAAA for the name is an empty NOERROR.
    """

    def __init__(self, name: str = BACKEND_NAME, host: str = "127.0.0.1", port: int | None = None,
                 ttl: int = 2):
        self.name = name.rstrip(".").lower()
        self.host = host
        self.port = port or free_port(host, udp_too=True)
        self._lock = threading.Lock()
        self._addrs: list[str] = []
        self._ttl = ttl
        self.silent = False
        self.queries = 0
        self._servers: list = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def set_records(self, addrs, ttl: int | None = None) -> float:
        """Replace the answer; returns the monotonic time from which it is served."""
        with self._lock:
            self._addrs = list(addrs)
            if ttl is not None:
                self._ttl = ttl
        return time.monotonic()

    def records(self) -> tuple[list[str], int]:
        with self._lock:
            return list(self._addrs), self._ttl

    def resolve(self, request, handler):  # dnslib resolver interface
        from dnslib import QTYPE, RCODE, RR, A

        with self._lock:
            self.queries += 1
            addrs, ttl, silent = list(self._addrs), self._ttl, self.silent
        if silent:
            return None
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        if qname != self.name or not addrs:
            reply.header.rcode = RCODE.NXDOMAIN
        elif qtype in ("A", "ANY"):
            for a in addrs:
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(a), ttl=ttl))
        return reply

    def start(self) -> "DnsServer":
        from dnslib.server import DNSHandler, DNSServer

        class _Handler(DNSHandler):
            def handle(self):  # a None reply means "drop the query"
                try:
                    super().handle()
                except (TypeError, AttributeError):
                    pass

        class _Quiet:
            def __getattr__(self, _name):
                return lambda *a, **k: None

        for tcp in (False, True):
            server = DNSServer(self, port=self.port, address=self.host, tcp=tcp, logger=_Quiet(),
                               handler=_Handler)
            server.start_thread()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        for server in self._servers:
            with contextlib.suppress(Exception):
                server.stop()
                server.server.server_close()
        self._servers.clear()


# ------------------------------------------------------------------------------------------- backend


class _BackendProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, answering every request with the backend's name (header and JSON body).

    A Protocol rather than asyncio streams: accepting a connection must stay cheap, because nginx in
    `variable` mode opens one connection per request and the benchmark compares against direct traffic.
    Query parameters: delay_ms=N answers after N ms; status=N answers with that status.
    """

    def __init__(self, name: str):
        self.name = name
        self.buf = b""
        self.transport = None
        self.pending = 0
        self.close_after = False

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while not self.pending:  # a delayed answer holds the requests pipelined behind it
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1")
            lines = head.split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length:]
            method, target, version = (lines[0].split(" ", 2) + ["", ""])[:3]
            conn = headers.get("connection", "").lower()
            close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
            delay_ms, status = 0.0, 200
            if "?" in target:
                query = parse_qs(urlsplit(target).query)
                delay_ms = float(query.get("delay_ms", ["0"])[0])
                status = int(query.get("status", ["200"])[0])
            body = json.dumps({
                "backend": self.name, "method": method, "path": target,
                "headers": {k: v for k, v in headers.items() if k.startswith("x-") or k in ("host", "connection")},
            }).encode()
            response = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                        f"X-Backend: {self.name}\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}"
                        "\r\n").encode() + body
            if delay_ms > 0:
                self.pending += 1
                asyncio.get_running_loop().call_later(delay_ms / 1000.0, self._send, response, close)
                return  # the rest of the buffer is handled when this one is sent
            self._send(response, close, immediate=True)
            if close:
                return

    def _send(self, response: bytes, close: bool, immediate: bool = False) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(response)
        if close:
            self.transport.close()
            return
        if not immediate:
            self.pending -= 1
            if self.buf:
                self.data_received(b"")


async def _serve_backend(name: str, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _BackendProtocol(name), host, port, reuse_address=True, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


class Backend:
    """One backend process (so that it can be SIGKILLed like a dying task)."""

    def __init__(self, name: str, host: str, port: int):
        self.name, self.host, self.port = name, host, port
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "Backend":
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "backend", "--name", self.name,
             "--host", self.host, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            self.kill()
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            raise RuntimeError(f"backend {self.name} on {self.host}:{self.port} did not start: {err}")
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: open connections are reset, new ones refused."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()

    stop = kill


def start_backends(count: int, port: int, first: int = 0) -> list[Backend]:
    started: list[Backend] = []
    try:
        for i in range(first, first + count):
            started.append(Backend(f"b{i + 1}", backend_address(i), port).start())
    except Exception:
        for b in started:
            b.kill()
        raise
    return started


# --------------------------------------------------------------------------------------------- nginx


def find_nginx() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not path:
        raise RuntimeError("nginx is not installed: apt-get install -y nginx-light (Debian 1.22 is enough)")
    return path


def nginx_version(binary: str | None = None) -> tuple[int, ...]:
    out = subprocess.run([binary or find_nginx(), "-v"], capture_output=True, text=True, check=True)
    text = (out.stderr or out.stdout).strip()
    return tuple(int(x) for x in text.rsplit("/", 1)[1].split("."))


def main_config(workdir: Path, server_conf: Path) -> str:
    """A minimal main configuration around a server file (as the official image's nginx.conf does)."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""daemon off;
master_process on;
worker_processes 1;
{user}pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {workdir}/client_body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {server_conf};
}}
"""


def nginx_test(server_text: str, binary: str | None = None) -> subprocess.CompletedProcess:
    """`nginx -t` of a server configuration wrapped in the minimal main configuration."""
    with tempfile.TemporaryDirectory(prefix="nginx_t.") as tmp:
        work = Path(tmp)
        (work / "default.conf").write_text(server_text)
        (work / "nginx.conf").write_text(main_config(work, work / "default.conf"))
        return subprocess.run(
            [binary or find_nginx(), "-t", "-p", f"{work}/", "-e", str(work / "error.log"),
             "-c", str(work / "nginx.conf")], capture_output=True, text=True, timeout=30)


class Nginx:
    """Debian's nginx as a non-daemon child running one server configuration, in its own directory."""

    def __init__(self, server_text: str, workdir: Path, listen: tuple[str, int], binary: str | None = None):
        self.binary = binary or find_nginx()
        self.workdir = Path(workdir)
        self.listen = listen
        self.server_conf = self.workdir / "default.conf"
        self.conf = self.workdir / "nginx.conf"
        self.error_log = self.workdir / "error.log"
        self.proc: subprocess.Popen | None = None
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server_conf.write_text(server_text)
        self.conf.write_text(main_config(self.workdir, self.server_conf))

    def start(self, timeout: float = 10.0) -> "Nginx":
        self.proc = subprocess.Popen(
            [self.binary, "-p", f"{self.workdir}/", "-e", str(self.error_log), "-c", str(self.conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(*self.listen, timeout=timeout, proc=self.proc)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"nginx did not start: {exc}\n{self.errors()}") from exc
        return self

    def reload(self, server_text: str, settle: float = 0.5) -> None:
        """New server configuration, SIGHUP (graceful: old workers finish their requests)."""
        self.server_conf.write_text(server_text)
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(settle)

    def errors(self) -> str:
        text = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        if self.proc is not None and self.proc.stderr and self.proc.poll() is not None:
            text += self.proc.stderr.read().decode(errors="replace")
        return text

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # fast shutdown of master and workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()


# -------------------------------------------------------------------------------- rendering (the role)


def ensure_collection_link() -> None:
    """`make collection-link`: stackops.ecs_webstack.* must resolve for ansible-playbook."""
    if COLLECTION_LINK.resolve() != REPO.resolve():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        if COLLECTION_LINK.is_symlink():
            COLLECTION_LINK.unlink()
        COLLECTION_LINK.symlink_to(REPO)


def _ansible_playbook() -> str:
    local = Path(sys.executable).parent / "ansible-playbook"
    found = str(local) if local.exists() else shutil.which("ansible-playbook")
    if not found:
        raise RuntimeError("ansible-playbook not found: install requirements-dev.txt into the venv")
    return found


def run_role(hosts: dict[str, dict], workdir: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run the nginx_discovery role (through render.yml) once, one inventory host per variable set.

    Each host writes its rendered file to its nginx_discovery_config_dest, and the returned fact beside it
    (`<dest>.fact`). Hosts run in parallel on the local connection.
    """
    ensure_collection_link()
    workdir.mkdir(parents=True, exist_ok=True)
    inventory = {"all": {"hosts": {
        name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **variables}
        for name, variables in hosts.items()}}}
    inv = workdir / "inventory.json"
    inv.write_text(json.dumps(inventory, indent=1))
    env = dict(os.environ,
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_DIR),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run([_ansible_playbook(), "-i", str(inv), str(RENDER_PLAYBOOK)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise RuntimeError(f"the nginx_discovery role failed (rc={proc.returncode}):\n{proc.stdout[-6000:]}\n"
                           f"{proc.stderr[-3000:]}")
    return proc


def role_vars(mode: str, dns: DnsServer, backend_port: int, listen_port: int, static_root: Path,
              dest: Path, valid: int, **extra) -> dict:
    """The role variables the tests and the benchmark use (everything on loopback)."""
    return {
        "nginx_discovery_mode": mode,
        "nginx_discovery_backend_name": dns.name,
        "nginx_discovery_backend_port": backend_port,
        "nginx_discovery_resolver": [dns.address],
        "nginx_discovery_resolver_valid": valid,
        "nginx_discovery_listen_address": "127.0.0.1",
        "nginx_discovery_listen_port": listen_port,
        "nginx_discovery_static_root": str(static_root),
        "nginx_discovery_access_log": str(dest.parent / f"access-{mode}.log"),
        "nginx_discovery_config_dest": str(dest),
        **extra,
    }


def upstream_block(text: str) -> str:
    """The `upstream ... { ... }` block of a rendered configuration ('' when there is none)."""
    match = re.search(r"^upstream \S+ \{\n.*?^\}\n", text, re.M | re.S)
    return match.group(0) if match else ""


def without_resolve(text: str, addresses: list[str]) -> str:
    """An upstream_resolve rendering made loadable by nginx < 1.27.3: the `resolver`/`resolver_timeout` lines
    inside the upstream are dropped and `server <name>:<port> resolve <params>;` becomes one
    `server <address>:<port> <params>;` per address. Everything else is left exactly as the role rendered it."""
    block = upstream_block(text)
    if not block:
        raise ValueError("no upstream block in the configuration")
    lines = []
    for line in block.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(("resolver ", "resolver_timeout ")):
            continue
        match = re.match(r"(\s*)server (\S+):(\d+) resolve(.*;)\n", line)
        if match:
            indent, _name, port, params = match.groups()
            lines += [f"{indent}server {a}:{port}{params}\n" for a in addresses]
            continue
        lines.append(line)
    return text.replace(block, "".join(lines))


HASHED_ASSET = "assets/index-BfX3a1_c.js"


def make_static_root(root: Path) -> Path:
    """A built SPA in miniature: index.html and one content-hashed asset big enough to be gzipped."""
    (root / "assets").mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(
        "<!doctype html><html><head><script type=module src=/assets/index-BfX3a1_c.js></script></head>"
        "<body><div id=app>webstack-spa</div></body></html>\n")
    (root / HASHED_ASSET).write_text("export const app = 'webstack';\n" + "console.log('x');\n" * 200)
    return root


def pinned_baseline_config(listen_port: int, address: str, backend_port: int, static_root: Path) -> str:
    """The original design: nginx proxies to ONE backend address, which an outside job swaps every 30 s."""
    return f"""server {{
    listen 127.0.0.1:{listen_port};
    root {static_root};
    access_log off;
    location /api/ {{
        proxy_pass http://{address}:{backend_port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }}
    location / {{ try_files $uri $uri/ /index.html; }}
}}
"""


# ---------------------------------------------------------------------------------------------- load


@dataclass
class Result:
    start: float          # monotonic
    end: float
    status: int           # 0 when the request failed without an HTTP response
    backend: str | None   # X-Backend of the answering backend
    error: str | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = b""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(data[:-2])
        body = b"".join(chunks)
    else:
        body = await reader.read()
    return status, headers, body


async def _worker(target: tuple[str, int], path: str, deadline: float, budget: list[int],
                  results: list[Result], timeout: float, stop: threading.Event, keep: bool,
                  extra_headers: str) -> None:
    reader = writer = None
    request = (f"GET {path} HTTP/1.1\r\nHost: frontend.test\r\n{extra_headers}\r\n").encode()
    while time.monotonic() < deadline and not stop.is_set() and budget[0] > 0:
        budget[0] -= 1
        t0 = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(*target), timeout)
            writer.write(request)
            status, headers, body = await asyncio.wait_for(_read_response(reader), timeout)
            results.append(Result(t0, time.monotonic(), status, headers.get("x-backend"),
                                  headers=headers if keep else {}, body=body if keep else b""))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except Exception as exc:  # noqa: BLE001 - every failure is a lost request, recorded as such
            results.append(Result(t0, time.monotonic(), 0, None, f"{type(exc).__name__}: {exc}"))
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def run_load(targets: list[tuple[str, int]], path: str = "/api/whoami", concurrency: int = 4,
             duration: float = 2.0, max_requests: float = 100_000, timeout: float = 10.0,
             stop: threading.Event | None = None, keep: bool = False, extra_headers: str = "") -> list[Result]:
    """Closed-loop load: `concurrency` keep-alive connections, spread over `targets`, each sending the
    next request when the previous answered, until `duration` or `max_requests` is reached."""
    stop = stop or threading.Event()
    results: list[Result] = []
    budget = [max_requests]

    async def main():
        deadline = time.monotonic() + duration
        await asyncio.gather(*(
            _worker(targets[i % len(targets)], path, deadline, budget, results, timeout, stop, keep,
                    extra_headers) for i in range(concurrency)))

    asyncio.run(main())
    return results


# For loads whose assertions look at a time window: the duration ends them, never the request count.
UNLIMITED = float("inf")


def assert_load_covers(results: list[Result], until: float) -> None:
    """Fails with a clear message when the load stopped before `until` (monotonic): assertions about
    requests after a moment mean nothing when no request was sent after it."""
    last = max((r.start for r in results), default=float("-inf"))
    assert last >= until, (f"the load's last request started {until - last:.2f}s before the end of the window "
                           f"under test ({len(results)} requests): lengthen its duration or raise max_requests")


class LoadThread(threading.Thread):
    """run_load in the background; join() returns the results."""

    def __init__(self, *args, **kwargs):
        super().__init__(daemon=True)
        self._args, self._kwargs = args, kwargs
        self.stop_event = kwargs.setdefault("stop", threading.Event())
        self.results: list[Result] = []
        self.exc: BaseException | None = None

    def run(self):
        try:
            self.results = run_load(*self._args, **self._kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in join
            self.exc = exc

    def join(self, timeout: float | None = None) -> list[Result]:  # type: ignore[override]
        super().join(timeout)
        if self.is_alive():
            self.stop_event.set()
            super().join(10)
        if self.exc:
            raise self.exc
        return self.results


def get(port: int, path: str, headers: dict | None = None, host: str = "127.0.0.1",
        timeout: float = 10.0) -> Result:
    """One request on a fresh connection, with headers and body kept."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    results = run_load([(host, port)], path, concurrency=1, duration=timeout, max_requests=1,
                       timeout=timeout, keep=True, extra_headers=extra)
    return results[0]


def shares(results: list[Result]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        if r.backend:
            counts[r.backend] = counts.get(r.backend, 0) + 1
    return counts


def failures(results: list[Result]) -> list[Result]:
    return [r for r in results if r.status != 200]


# ----------------------------------------------------------------------------------------------- CLI


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("backend", help="run one backend until killed")
    b.add_argument("--name", required=True)
    b.add_argument("--host", required=True)
    b.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.cmd == "backend":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve_backend(args.name, args.host, args.port))


if __name__ == "__main__":
    _cli()
