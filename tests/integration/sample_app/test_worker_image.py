"""The worker's local image (sample_app/worker, built FROM the backend's) against a real redis-server with TLS and
AUTH in a container beside it, as the local stack runs ElastiCache: its counter grows in Redis, /health is 200
while Redis answers and 503 once it is gone or refuses the token (and 200 again when it is back), the token is
never in what it writes or answers, and it stops at once on SIGTERM, also with an INCR hanging.

Redis listens on a fixed address and MAC address of the test's network (so that a restarted Redis is where the
worker's /etc/hosts and ARP cache say) under a name its certificate carries; the worker trusts the test CA as a task trusts the
emulated ElastiCache's: through the system bundle, mounted over it.
"""

import ipaddress
import json
import secrets

import pytest

from .containers import get, images, logs, stop_cleanly, testlib, wait_until

PREFIX, TAG = images.DEFAULT_PREFIX, images.DEFAULT_TAG
WORKER = images.local_image(PREFIX + "/worker", TAG)
REDIS_NAME = "redis.worker-test.internal"
REDIS_PORT = 6379
INTERVAL = 0.5  # WORKER_INTERVAL_SECONDS here: the worker is unhealthy 3 intervals after its last INCR
DEFAULT_KEY = "webstack:worker:ticks"
# A worker whose Redis vanished fails within 3 intervals plus a command in flight (connect and read time out
# after 2 s each); generous, as every wait below ends as soon as its condition holds.
TURN_SECONDS = 15


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return testlib.write_tls_files(tmp_path_factory.mktemp("worker-tls"), REDIS_NAME)


class RedisContainer:
    """redis-server from the base image: TLS only, AUTH, at ADDRESS on the test's network."""

    def __init__(self, run_container, network, tls_files):
        subnet = images.podman("network", "inspect", "--format", "{{range .Subnets}}{{.Subnet}}{{end}}",
                               network).stdout.strip()
        self.address = str(ipaddress.ip_network(subnet)[-10])  # far from the addresses podman hands out
        # Its own MAC address too: a restarted container gets a new one, and the worker's ARP cache would keep
        # sending to the old one for up to a minute (on AWS a node that comes back is found by DNS).
        mac = "02:" + ":".join("%02x" % byte for byte in secrets.token_bytes(5))
        self.token = "tok-" + secrets.token_hex(16)
        mounts = []
        for key in ("cert", "key", "ca"):
            mounts += ["--volume", "%s:/tls/%s:ro" % (tls_files[key], key)]
        self.name, _ = run_container(
            images.base_ref(), None, "redis-server", "--port", "0", "--tls-port", str(REDIS_PORT), "--bind", "0.0.0.0",
            "--tls-cert-file", "/tls/cert", "--tls-key-file", "/tls/key", "--tls-ca-cert-file", "/tls/ca",
            "--tls-auth-clients", "no", "--requirepass", self.token, "--save", "", "--appendonly", "no",
            podman_args=["--ip", self.address, "--mac-address", mac, *mounts])
        self.wait_ready()

    def cli(self, *command):
        """redis-cli in the Redis container (the token by environment, not on a command line)."""
        result = images.podman("exec", "--env", "REDISCLI_AUTH=" + self.token, self.name, "redis-cli", "--tls",
                               "--insecure", "-p", str(REDIS_PORT), *command, check=False)
        return result.stdout.strip()

    def wait_ready(self):
        wait_until(lambda: self.cli("PING") == "PONG", 15, "redis-server in %s to answer" % self.name)


@pytest.fixture
def redis(run_container, network, tls_files):
    return RedisContainer(run_container, network, tls_files)


@pytest.fixture
def start_worker(run_container, redis, tls_files):
    """start_worker(**env) -> (name, port): the worker image, on 127.0.0.1:<port>, with the Redis of the test
    given as a task definition gives ElastiCache (REDIS_* variables, the token as a secret's value)."""
    def start(**env):
        settings = dict({"REDIS_HOST": REDIS_NAME, "REDIS_PORT": str(REDIS_PORT), "REDIS_TLS": "true",
                         "REDIS_AUTH_TOKEN": redis.token, "WORKER_INTERVAL_SECONDS": str(INTERVAL)}, **env)
        name, port = run_container(WORKER, 8081, podman_args=[
            "--add-host", "%s:%s" % (REDIS_NAME, redis.address),
            "--volume", "%s:/etc/ssl/certs/ca-certificates.crt:ro" % tls_files["ca"]], **settings)
        wait_until(lambda: get(port, "/status")[0] is not None, 15, "the worker container to answer")
        return name, port

    return start


BODIES = []  # every body the workers answered, for the secret checks


def answer(port, path):
    """(status, JSON body) of GET PATH, the body kept in BODIES."""
    status, _headers, body = get(port, path)
    BODIES.append(body)
    return status, json.loads(body) if body else None


def status_of(port):
    return answer(port, "/status")[1] or {}


def test_worker_counts_in_redis_and_is_healthy(start_worker, redis):
    name, port = start_worker()

    wait_until(lambda: status_of(port).get("ticks", 0) >= 3, TURN_SECONDS, "three ticks")
    first = status_of(port)
    # A fresh Redis and one worker: every INCR it made counted, none failed.
    assert (first["last_value"], first["failures"], first["last_error"], first["key"]) == (
        first["ticks"], 0, None, DEFAULT_KEY)
    wait_until(lambda: status_of(port)["last_value"] >= first["last_value"] + 2, TURN_SECONDS,
               "the counter to go on growing")
    assert int(redis.cli("GET", DEFAULT_KEY)) >= first["last_value"] + 2  # in Redis itself, under the default key
    status, health = answer(port, "/health")
    assert status == 200 and health["status"] == "ok" and health["ticks"] >= first["ticks"] + 2, health
    # The health check a task definition would run, with the image's own curl; and no root.
    check = images.podman("exec", name, "/bin/sh", "-c", "curl -fsS -o /dev/null http://127.0.0.1:8081/health",
                          check=False)
    assert check.returncode == 0, check.stderr
    assert images.podman("exec", name, "id", "-u").stdout.strip() == "10001"
    stop_cleanly(name)
    assert "tick failed" not in logs(name) and redis.token not in logs(name)


def test_counter_key_is_configurable(start_worker, redis):
    _name, port = start_worker(WORKER_COUNTER_KEY="test:worker:%s" % secrets.token_hex(4))

    wait_until(lambda: status_of(port).get("ticks", 0) >= 2, TURN_SECONDS, "two ticks")
    key = status_of(port)["key"]
    assert key.startswith("test:worker:") and int(redis.cli("GET", key)) >= 2
    assert redis.cli("EXISTS", DEFAULT_KEY) == "0"


def test_health_follows_redis_going_away_and_coming_back(start_worker, redis):
    name, port = start_worker()
    wait_until(lambda: answer(port, "/health")[0] == 200, TURN_SECONDS, "a healthy worker")

    images.podman("stop", "--time", "1", redis.name)
    wait_until(lambda: answer(port, "/health")[0] == 503, TURN_SECONDS, "/health to turn 503 without Redis")
    # It may turn before a tick has failed (3 intervals without a success, an INCR still waiting to time out).
    wait_until(lambda: status_of(port)["failures"] >= 1, TURN_SECONDS, "a failed tick")
    status, health = answer(port, "/health")
    assert status == 503 and health["status"] == "failing" and health["last_error"], health
    ticks_without_redis = health["ticks"]
    wait_until(lambda: "tick failed: " in logs(name), 5, "a log line for the failed tick")

    images.podman("start", redis.name)
    redis.wait_ready()
    wait_until(lambda: answer(port, "/health")[0] == 200, TURN_SECONDS, "/health to be 200 again with Redis back")
    after = status_of(port)
    assert after["ticks"] > ticks_without_redis and after["last_error"] is None and after["last_value"] >= 1, after
    wait_until(lambda: "tick succeeded after" in logs(name), 5, "a log line for the recovery")
    stop_cleanly(name)
    assert redis.token not in logs(name) + "".join(BODIES)


def test_wrong_token_is_unhealthy_and_never_written(start_worker, redis):
    wrong_token = "wrong-" + secrets.token_hex(16)
    name, port = start_worker(REDIS_AUTH_TOKEN=wrong_token)

    wait_until(lambda: status_of(port).get("failures", 0) >= 3, TURN_SECONDS, "three failed ticks")
    status, health = answer(port, "/health")
    assert (status, health["status"], health["ticks"]) == (503, "failing", 0), health
    assert health["last_error"] == "authentication failed (WRONGPASS)", health
    assert redis.cli("EXISTS", DEFAULT_KEY) == "0"
    stop_cleanly(name)
    written = logs(name)
    assert "tick failed: authentication failed (WRONGPASS)" in written
    for token in (wrong_token, redis.token):
        assert token not in written and token not in "".join(BODIES)


def test_sigterm_with_an_incr_hanging_still_stops_at_once(start_worker, redis):
    """Redis frozen (a command's connect or read waits for its timeout): the worker does not wait for it."""
    name, port = start_worker()
    wait_until(lambda: status_of(port).get("ticks", 0) >= 1, TURN_SECONDS, "a tick")

    images.podman("pause", redis.name)
    try:
        wait_until(lambda: answer(port, "/health")[0] == 503, TURN_SECONDS, "/health to turn 503 with Redis frozen")
        stop_cleanly(name)
    finally:
        images.podman("unpause", redis.name, check=False)
    assert "received SIGTERM: stopping" in logs(name)


def test_without_redis_configured_it_is_unhealthy(run_container):
    _name, port = run_container(WORKER, 8081, WORKER_INTERVAL_SECONDS=str(INTERVAL))
    wait_until(lambda: answer(port, "/health")[0] is not None, 15, "the worker container to answer")

    wait_until(lambda: status_of(port).get("failures", 0) >= 1, TURN_SECONDS, "a failed tick")
    status, health = answer(port, "/health")
    assert (status, health["ticks"], health["last_error"]) == (503, 0, "redis is not configured (REDIS_HOST)")
