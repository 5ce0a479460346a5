"""The sample backend (sample_app/backend/app.py) against a real redis-server with TLS and AUTH, as the task
runs it against ElastiCache: the counter, the refusals (wrong token, untrusted certificate), reconnecting,
the secrets it must never write, the health endpoint of the normal and the broken build, and SIGTERM."""

import signal
import socket
import time

from sample_app_testlib import REDIS_HOSTNAME, wait_until

MONGODB_URI = "mongodb+srv://webstack:Pa55-w0rd-not-for-logs@cluster0.example.mongodb.net/app?retryWrites=true"


def test_counter_counts_over_tls_with_auth(start_backend, redis_env):
    backend = start_backend(TASK_ID="task-a", **redis_env)

    assert backend.request("GET", "/api/counter") == (200, {"counter": 0, "task": "task-a"})
    assert [backend.request("POST", "/api/counter") for _attempt in range(3)] == [
        (200, {"counter": n, "task": "task-a"}) for n in (1, 2, 3)]
    assert backend.request("GET", "/api/counter") == (200, {"counter": 3, "task": "task-a"})
    assert backend.logged("POST /api/counter 200")


def test_two_tasks_share_the_counter(start_backend, redis_env):
    first, second = start_backend(TASK_ID="task-a", **redis_env), start_backend(TASK_ID="task-b", **redis_env)

    assert first.request("POST", "/api/counter") == (200, {"counter": 1, "task": "task-a"})
    assert second.request("POST", "/api/counter") == (200, {"counter": 2, "task": "task-b"})


def test_wrong_token_is_503_and_never_written(start_backend, redis_env, redis_tls):
    wrong_token = "wrong-" + redis_tls.token
    backend = start_backend(**dict(redis_env, REDIS_AUTH_TOKEN=wrong_token))

    status, answer = backend.request("POST", "/api/counter")

    assert status == 503
    assert "authentication failed" in answer["error"]
    assert backend.logged("POST /api/counter 503 redis: authentication failed")
    written = backend.everything_written()
    assert wrong_token not in written and redis_tls.token not in written


def test_missing_token_is_503(start_backend, redis_env):
    backend = start_backend(**dict(redis_env, REDIS_AUTH_TOKEN=""))

    status, answer = backend.request("POST", "/api/counter")

    assert status == 503
    assert "NOAUTH" in answer["error"]


def test_certificate_is_verified(start_backend, redis_env, tls_files):
    """A trust store without the CA that signed the server's certificate: no connection, no AUTH sent."""
    backend = start_backend(**dict(redis_env, SSL_CERT_FILE=str(tls_files["other_ca"])))

    status, answer = backend.request("POST", "/api/counter")

    assert status == 503
    assert "certificate verification failed" in answer["error"]


def test_certificate_name_is_verified(start_backend, redis_env):
    """The certificate names localhost only: the same server reached as 127.0.0.1 is refused."""
    backend = start_backend(**dict(redis_env, REDIS_HOST="127.0.0.1"))

    status, answer = backend.request("POST", "/api/counter")

    assert status == 503
    assert "certificate verification failed: IP address mismatch" in answer["error"]


def test_reconnects_after_redis_restarts(start_backend, redis_env, redis_tls):
    backend = start_backend(**redis_env)
    assert backend.request("POST", "/api/counter")[1]["counter"] == 1

    redis_tls.stop()
    status, answer = backend.request("POST", "/api/counter")
    assert status == 503 and "redis unavailable" in answer["error"]

    redis_tls.start()  # same port and token, empty (no persistence)
    assert backend.request("POST", "/api/counter") == (200, {"counter": 1, "task": answer["task"]})


def test_redis_not_configured(start_backend):
    backend = start_backend()

    status, answer = backend.request("POST", "/api/counter")

    assert status == 503
    assert "not configured" in answer["error"]
    assert backend.request("GET", "/api/config") == (200, {"mongodb_uri_set": False, "redis": None, "redis_tls": False})


def test_config_tells_only_whether_secrets_are_set(start_backend, redis_env, redis_tls):
    backend = start_backend(MONGODB_URI=MONGODB_URI, **redis_env)

    assert backend.request("GET", "/api/config") == (
        200, {"mongodb_uri_set": True, "redis": "%s:%d" % (REDIS_HOSTNAME, redis_tls.port), "redis_tls": True})
    for method, path in (("GET", "/api/"), ("GET", "/api/whoami"), ("POST", "/api/counter"), ("GET", "/health"),
                         ("GET", "/nowhere")):
        backend.request(method, path)

    written = backend.everything_written()
    for secret in (MONGODB_URI, "Pa55-w0rd-not-for-logs", redis_tls.token):
        assert secret not in written


def test_health_and_the_broken_build(start_backend):
    assert start_backend().request("GET", "/health") == (200, {"status": "ok"})
    broken = start_backend(APP_HEALTH_BROKEN="true")
    assert broken.request("GET", "/health") == (500, {"status": "broken"})
    assert broken.request("GET", "/api/whoami")[0] == 200
    assert broken.logged("GET /health 500")


def test_whoami_index_and_errors(start_backend):
    backend = start_backend(TASK_ID="task-1", APP_VERSION="0002")

    status, answer = backend.request("GET", "/api/whoami")
    assert status == 200
    assert answer["task"] == "task-1" and answer["version"] == "0002"
    socket.inet_aton(answer["address"])
    assert start_backend().request("GET", "/api/whoami")[1]["task"] == socket.gethostname()

    for path in ("/api", "/api/", "/api/?x=1"):
        status, answer = backend.request("GET", path)
        assert status == 200 and "GET /api/whoami" in answer["endpoints"]
    assert backend.request("GET", "/nowhere") == (404, {"error": "not found"})
    assert backend.request("POST", "/health")[0] == 405
    assert backend.logged("GET /nowhere 404")


def test_sigterm_finishes_the_request_in_flight_and_exits_0(start_backend):
    backend = start_backend(LAME_DUCK_SECONDS="0")
    with socket.create_connection(("127.0.0.1", backend.port), timeout=5) as in_flight:
        in_flight.sendall(b"GET /health HTTP/1.0\r\n")  # the request has begun, not ended
        time.sleep(0.2)
        stopped_at = time.monotonic()
        backend.signal(signal.SIGTERM)
        # No new connections once it stops accepting (in-flight ones go on).
        wait_until(lambda: _refused(backend.port), 1, "the listening socket to close")

        in_flight.sendall(b"\r\n")
        answer = in_flight.makefile("rb").read()

    assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(b'{"status": "ok"}')
    assert backend.process.wait(2) == 0
    assert time.monotonic() - stopped_at < 2
    assert backend.logged("received SIGTERM")


def test_sigterm_does_not_wait_for_ever(start_backend):
    """A client that never finishes its request does not hold the stop past the drain time."""
    backend = start_backend(LAME_DUCK_SECONDS="0")
    with socket.create_connection(("127.0.0.1", backend.port), timeout=5) as stuck:
        stuck.sendall(b"GET /health HTTP/1.0\r\n")
        time.sleep(0.2)
        stopped_at = time.monotonic()
        backend.signal(signal.SIGTERM)
        assert backend.process.wait(2.5) == 0
    assert time.monotonic() - stopped_at < 2
    assert backend.logged("1 requests unfinished")


def test_after_sigterm_it_serves_new_connections_for_the_lame_duck_time_then_stops(start_backend):
    """ECS removes the task from Cloud Map before SIGTERM, but a client may still use the address until its
    DNS answer expires: new connections are served for LAME_DUCK_SECONDS, then refused, and the process ends 0."""
    backend = start_backend(LAME_DUCK_SECONDS="1.5")
    stopped_at = time.monotonic()
    backend.signal(signal.SIGTERM)
    time.sleep(0.5)
    assert backend.request("GET", "/health")[0] == 200  # a new connection, after SIGTERM
    assert time.monotonic() - stopped_at < 1.5
    wait_until(lambda: _refused(backend.port), 3, "the listening socket to close after the lame-duck time")
    assert time.monotonic() - stopped_at >= 1.5
    assert backend.process.wait(3) == 0
    assert backend.logged("received SIGTERM: stopping after 1.5 s more of serving")


def _refused(port):
    """No new connection is served: refused, or reset (a connect that reached the listen backlog just before the
    socket closed is reset by the kernel, never accepted: seen under load in CI)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    return False
