"""The sample backend: a small JSON API with a Redis counter (Python 3 standard library only).

    GET  /health        200 {"status": "ok"}; 500 when APP_HEALTH_BROKEN=true (a broken build, for tests)
    GET  /api, /api/    the endpoints
    GET  /api/whoami    {"task", "address", "version"}: which task answered
    GET  /api/counter   {"counter", "task"}: the counter's value (0 before the first POST)
    POST /api/counter   INCR the counter
    GET  /api/config    {"mongodb_uri_set", "redis", "redis_tls"}: what it was given, never a secret

Environment: PORT (8080), LISTEN_ADDRESS (0.0.0.0), APP_VERSION, TASK_ID (else the hostname),
REDIS_HOST, REDIS_PORT (6379), REDIS_TLS (true/false), and the task's secrets REDIS_AUTH_TOKEN and
MONGODB_URI. Secrets are never logged or answered, also not in error messages: everything this process
writes goes to CloudWatch Logs.

SIGTERM (ECS stops a task with it, then SIGKILL after the stop timeout): go on serving for LAME_DUCK_SECONDS
(ECS has already removed the task from Cloud Map, but clients keep its address until their DNS answer's TTL
ends), then stop accepting, let the requests in flight finish for up to DRAIN_SECONDS, exit 0.
"""

import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

COUNTER_KEY = "webstack:counter"
REDIS_TIMEOUT_SECONDS = 2.0  # within the health check's 5 s timeout and nginx's retry budget
DRAIN_SECONDS = 1.5  # ECS's stop timeout is 30 s by default, the brief of this app 2 s
# Longer than the backend's Cloud Map record TTL (webstack_backend_discovery_ttl, 10 s by default): the
# frontend's nginx may still send a request to this task until then. ECS's stopTimeout (30 s by default)
# must exceed this plus DRAIN_SECONDS. LAME_DUCK_SECONDS=0 stops accepting at once.
DEFAULT_LAME_DUCK_SECONDS = 12.0
REQUEST_BODY_LIMIT = 64 * 1024
SECRET_VARIABLES = ("REDIS_AUTH_TOKEN", "MONGODB_URI")


def env_flag(name, default=False):
    value = os.environ.get(name, "").strip().lower()
    return value in ("1", "true", "yes", "on") if value else default


def redact(text):
    """Last guard: no secret's value leaves this process, whatever message carried it."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value:
            text = text.replace(value, "[redacted]")
    return text


def printable(text, limit=300):
    """A request path as it may appear in one log line: no control characters, bounded."""
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) for c in text[:limit])


def log(line):
    print(redact(line), flush=True)


# ----------------------------------------------------------------------------------------------- Redis

class RedisError(Exception):
    """A Redis failure, with a short reason that is safe to show (never a secret)."""

    def __init__(self, reason, code=""):
        super().__init__(reason)
        self.code = code


# What a broken connection raises: the socket's and TLS's errors, a close, a reply that is not RESP.
CONNECTION_ERRORS = (OSError, EOFError, ValueError)


class RedisClient:
    """A minimal RESP2 client: one connection, shared by the request threads under a lock; AUTH on
    connect; TLS verified against the default trust store (which SSL_CERT_FILE replaces)."""

    def __init__(self, host, port, use_tls, auth_token, timeout=REDIS_TIMEOUT_SECONDS):
        self.host, self.port, self.use_tls = host, port, use_tls
        self._auth_token = auth_token
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sock = None
        self._reader = None

    def command(self, *args):
        with self._lock:
            reused = self._sock is not None
            try:
                return self._command_locked(args)
            except CONNECTION_ERRORS as error:
                self._close()
                # A connection that sat idle may have been closed by the server (or a failover): one
                # more try on a fresh one. A fresh connection that fails is a real failure.
                if not reused:
                    raise RedisError(connection_reason(error)) from None
            try:
                return self._command_locked(args)
            except CONNECTION_ERRORS as error:
                self._close()
                raise RedisError(connection_reason(error)) from None

    def _command_locked(self, args):
        if self._sock is None:
            self._connect()
        self._sock.sendall(encode_command(args))
        return self._read_reply()

    def _connect(self):
        sock = socket.create_connection((self.host, self.port), timeout=self._timeout)
        try:
            if self.use_tls:
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.host)
            self._sock, self._reader = sock, sock.makefile("rb")
            if self._auth_token:
                self._sock.sendall(encode_command(("AUTH", self._auth_token)))
                try:
                    self._read_reply()
                except RedisError as error:
                    raise RedisError("authentication failed (%s)" % error.code) from None
        except BaseException:
            self._close()
            sock.close()
            raise

    def _read_reply(self):
        line = self._reader.readline()
        if not line.endswith(b"\r\n"):
            raise EOFError("connection closed")
        kind, payload = line[:1], line[1:-2]
        if kind == b"+":
            return payload.decode()
        if kind == b"-":
            # The error's first word (WRONGPASS, NOAUTH, ERR, ...) is all that is shown: the rest of a
            # reply is the server's text, and need not be echoed into answers and logs.
            code = payload.split(b" ", 1)[0].decode(errors="replace") or "ERR"
            raise RedisError("redis answered %s" % code, code)
        if kind == b":":
            return int(payload)
        if kind == b"$":
            length = int(payload)
            if length < 0:
                return None
            data = self._reader.read(length + 2)
            if len(data) != length + 2:
                raise EOFError("connection closed")
            return data[:-2]
        if kind == b"*":
            count = int(payload)
            return None if count < 0 else [self._read_reply() for _ in range(count)]
        raise EOFError("not a RESP reply")

    def _close(self):
        for closeable in (self._reader, self._sock):
            if closeable is not None:
                try:
                    closeable.close()
                except OSError:
                    pass
        self._sock = self._reader = None

    def close(self):
        with self._lock:
            self._close()


def encode_command(args):
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def connection_reason(error):
    if isinstance(error, ssl.SSLCertVerificationError):
        return "TLS certificate verification failed: %s" % error.verify_message
    if isinstance(error, ssl.SSLError):
        return "TLS error: %s" % (error.reason or type(error).__name__)
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, socket.gaierror):
        return "cannot resolve the Redis host"
    if isinstance(error, EOFError):
        return "connection closed by the server"
    if isinstance(error, ValueError):
        return "not a Redis reply"
    return "cannot connect: %s" % (error.strerror or type(error).__name__)


# ------------------------------------------------------------------------------------------------- app

class Settings:
    """The environment, read once at start (ECS sets it when the task starts; it never changes)."""

    def __init__(self, environ):
        self.port = int(environ.get("PORT") or 8080)
        self.listen_address = environ.get("LISTEN_ADDRESS") or "0.0.0.0"
        self.version = environ.get("APP_VERSION") or "dev"
        self.task = environ.get("TASK_ID") or socket.gethostname()
        self.health_broken = env_flag("APP_HEALTH_BROKEN")
        self.redis_host = environ.get("REDIS_HOST") or ""
        self.redis_port = int(environ.get("REDIS_PORT") or 6379)
        self.redis_tls = env_flag("REDIS_TLS")
        self.redis_auth_token = environ.get("REDIS_AUTH_TOKEN") or ""
        self.mongodb_uri_set = bool(environ.get("MONGODB_URI"))

    @property
    def redis_endpoint(self):
        return "%s:%d" % (self.redis_host, self.redis_port) if self.redis_host else None


class Handler(BaseHTTPRequestHandler):
    server_version = "webstack-backend"
    sys_version = ""
    timeout = 10  # a client that opened a connection and sent nothing does not hold a thread for long

    # routes: path -> {method: handler name}
    ROUTES = {
        "/health": {"GET": "health"},
        "/api": {"GET": "index"},
        "/api/": {"GET": "index"},
        "/api/whoami": {"GET": "whoami"},
        "/api/counter": {"GET": "counter_get", "POST": "counter_post"},
        "/api/config": {"GET": "config"},
    }

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_HEAD(self):
        self.route("GET", body=False)

    def route(self, method, body=True):
        self.note = ""
        path = urlsplit(self.path).path
        methods = self.ROUTES.get(path)
        self.discard_body()
        if methods is None:
            status, answer = 404, {"error": "not found"}
        elif method not in methods:
            status, answer = 405, {"error": "method not allowed", "allowed": sorted(methods)}
        else:
            status, answer = getattr(self, methods[method])()
        self.answer(status, answer, body)

    def discard_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= REQUEST_BODY_LIMIT:
            self.rfile.read(length)

    def answer(self, status, answer, body=True):
        data = redact(json.dumps(answer)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

    @property
    def settings(self):
        return self.server.settings

    # endpoints: each returns (status, JSON answer)
    def health(self):
        # Redis is not asked: replacing the task would not mend Redis, and ECS would replace every task.
        if self.settings.health_broken:
            return 500, {"status": "broken"}
        return 200, {"status": "ok"}

    def index(self):
        return 200, {"service": "webstack-backend", "version": self.settings.version,
                     "endpoints": ["GET /health", "GET /api/whoami", "GET /api/counter", "POST /api/counter",
                                   "GET /api/config"]}

    def whoami(self):
        return 200, {"task": self.settings.task, "address": self.task_address(), "version": self.settings.version}

    def counter_get(self):
        return self.counter("GET", COUNTER_KEY)

    def counter_post(self):
        return self.counter("INCR", COUNTER_KEY)

    def counter(self, *redis_command):
        if self.server.redis is None:
            self.note = "redis not configured"
            return 503, {"error": "redis is not configured (REDIS_HOST)", "task": self.settings.task}
        try:
            value = self.server.redis.command(*redis_command)
        except RedisError as error:
            self.note = "redis: %s" % error
            return 503, {"error": "redis unavailable: %s" % error, "task": self.settings.task}
        return 200, {"counter": int(value or 0), "task": self.settings.task}

    def config(self):
        return 200, {"mongodb_uri_set": self.settings.mongodb_uri_set, "redis": self.settings.redis_endpoint,
                     "redis_tls": self.settings.redis_tls}

    def task_address(self):
        """The address this request reached: the task's own (the one Cloud Map returns to nginx). A check
        from inside the task reaches 127.0.0.1; then the address the hostname resolves to."""
        address = self.connection.getsockname()[0]
        if address.startswith("127.") or address == "::1":
            try:
                address = socket.gethostbyname(socket.gethostname())
            except OSError:
                pass
        return address

    # one line per request on stdout (the awslogs driver sends it to CloudWatch Logs)
    def log_request(self, code="-", size="-"):
        note = getattr(self, "note", "")
        log("%s %s %s%s" % (self.command, printable(self.path), code, (" " + note) if note else ""))

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        # Only BaseHTTPRequestHandler's own messages (malformed requests, timeouts) arrive here.
        log(printable(format % args))


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung client must not keep the process alive past the drain
    block_on_close = False

    def __init__(self, settings, handler=Handler):
        """HANDLER: another image built on this one (sample_app/worker) serves its own routes."""
        self.settings = settings
        self.redis = (RedisClient(settings.redis_host, settings.redis_port, settings.redis_tls,
                                  settings.redis_auth_token) if settings.redis_host else None)
        self._in_flight = 0
        self._idle = threading.Condition()
        super().__init__((settings.listen_address, settings.port), handler)

    def process_request_thread(self, request, client_address):
        with self._idle:
            self._in_flight += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def handle_error(self, request, client_address):
        # Instead of socketserver's traceback on stderr: one line, through the secrets' guard.
        log("error handling a request: %s" % printable(traceback.format_exc(), limit=2000))

    def drain(self, seconds):
        """Wait until no request is in flight, at most SECONDS; return how many still are."""
        deadline = time.monotonic() + seconds
        with self._idle:
            while self._in_flight and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
            return self._in_flight


def main():
    settings = Settings(os.environ)
    server = Server(settings)
    stopping = threading.Event()

    lame_duck = float(os.environ.get("LAME_DUCK_SECONDS") or DEFAULT_LAME_DUCK_SECONDS)

    def stop_later():
        time.sleep(lame_duck)
        server.shutdown()

    def stop(signum, _frame):
        if not stopping.is_set():
            stopping.set()
            log("received %s: stopping%s" % (signal.Signals(signum).name,
                                             " after %g s more of serving (clients' DNS caches)" % lame_duck
                                             if lame_duck > 0 else ""))
            # shutdown() waits for serve_forever(), which runs in this (the main) thread: from another one.
            threading.Thread(target=stop_later, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    log("webstack-backend %s listening on %s:%d (task %s, redis %s%s)"
        % (settings.version, host, port, settings.task, settings.redis_endpoint or "not configured",
           " tls" if settings.redis_host and settings.redis_tls else ""))
    server.serve_forever(poll_interval=0.1)
    server.server_close()  # no new connections from here on
    left = server.drain(DRAIN_SECONDS)
    if server.redis is not None:
        server.redis.close()
    log("stopped" + (" with %d requests unfinished" % left if left else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
