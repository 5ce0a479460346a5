"""Helpers and fixtures for the sample app's tests (conftest.py hands the fixtures to pytest): a TLS Redis with
AUTH (the Debian redis-server, as ElastiCache with in-transit encryption and an AUTH token), and the backend's
app.py run as a process, as its image runs it.

Everything listens on 127.0.0.1 only.
"""

import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SAMPLE_APP = REPO / "sample_app"
BACKEND_APP = SAMPLE_APP / "backend" / "app.py"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# The name the backend connects to and checks the certificate against (ElastiCache gives a DNS name).
REDIS_HOSTNAME = "localhost"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


# ------------------------------------------------------------------------------------------- TLS files

def _certificate(subject_name, public_key, issuer_name, issuer_key, *, ca, sans=()):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_name)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
               .public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """TLS files for a Redis on 127.0.0.1 whose certificate names localhost (write_tls_files)."""
    return write_tls_files(tmp_path_factory.mktemp("tls"), REDIS_HOSTNAME)


def write_tls_files(work, server_name):
    """A throwaway CA, a server certificate it signed for SERVER_NAME only (not 127.0.0.1: a name the
    certificate does not carry), and a second CA that signed nothing here (a trust store that must not
    accept the server), written in WORK: {"ca", "other_ca", "cert", "key"} -> path."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel

    pem = serialization.Encoding.PEM

    def write_key(key, name):
        path = work / name
        path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        path.chmod(0o600)
        return path

    ca_key, other_ca_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _key in range(3))
    ca = _certificate("sample-app test CA", ca_key.public_key(), "sample-app test CA", ca_key, ca=True)
    other_ca = _certificate("unrelated CA", other_ca_key.public_key(), "unrelated CA", other_ca_key, ca=True)
    server = _certificate(server_name, server_key.public_key(), "sample-app test CA", ca_key, ca=False,
                          sans=(x509.DNSName(server_name),))
    files = {"ca": work / "ca.pem", "other_ca": work / "other-ca.pem", "cert": work / "server.pem",
             "key": write_key(server_key, "server.key")}
    files["ca"].write_bytes(ca.public_bytes(pem))
    files["other_ca"].write_bytes(other_ca.public_bytes(pem))
    files["cert"].write_bytes(server.public_bytes(pem))
    return files


# ----------------------------------------------------------------------------------------------- Redis

class Redis:
    """redis-server with TLS only (no plain port) and requirepass, on 127.0.0.1."""

    def __init__(self, tls, workdir):
        self.tls = tls
        self.workdir = workdir
        self.port = free_port()
        self.token = "tok-" + secrets.token_hex(16)
        self.process = None

    def start(self):
        args = [REDIS_SERVER, "--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1",
                "--tls-cert-file", str(self.tls["cert"]), "--tls-key-file", str(self.tls["key"]),
                "--tls-ca-cert-file", str(self.tls["ca"]), "--tls-auth-clients", "no",
                "--requirepass", self.token, "--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        with open(self.workdir / "redis.log", "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        wait_until(self.answers, 10, "redis-server on 127.0.0.1:%d" % self.port)

    def answers(self):
        if self.process.poll() is not None:
            raise AssertionError("redis-server exited %s; see %s" % (self.process.returncode, self.workdir / "redis.log"))
        context = ssl.create_default_context(cafile=str(self.tls["ca"]))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                with context.wrap_socket(raw, server_hostname=REDIS_HOSTNAME) as conn:
                    conn.sendall(b"AUTH %s\r\nPING\r\n" % self.token.encode())
                    return conn.recv(64).startswith(b"+OK")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture
def redis_tls(tls_files, tmp_path):
    server = Redis(tls_files, tmp_path)
    server.start()
    yield server
    server.stop()


# ----------------------------------------------------------------------------------------------- backend

class Backend:
    """app.py as a process, its stdout and stderr collected; speaks to it over HTTP on 127.0.0.1."""

    def __init__(self, env):
        full_env = {key: value for key, value in os.environ.items()
                    if key not in ("REDIS_HOST", "REDIS_PORT", "REDIS_TLS", "REDIS_AUTH_TOKEN", "MONGODB_URI",
                                   "TASK_ID", "APP_VERSION", "APP_HEALTH_BROKEN", "SSL_CERT_FILE", "SSL_CERT_DIR")}
        full_env.update({"PORT": "0", "LISTEN_ADDRESS": "127.0.0.1", "PYTHONUNBUFFERED": "1"}, **env)
        self.lines = []
        self.bodies = []
        self.process = subprocess.Popen([sys.executable, str(BACKEND_APP)], env=full_env, text=True,  # pylint: disable=consider-using-with
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: self.port or self.process.poll() is not None, 10, "the backend to listen")
        assert self.port, "the backend exited %s:\n%s" % (self.process.returncode, self.output())

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def port(self):
        for line in list(self.lines):
            if " listening on 127.0.0.1:" in line:
                return int(line.split(" listening on 127.0.0.1:", 1)[1].split()[0])
        return None

    def output(self):
        return "".join(self.lines)

    def logged(self, text, timeout=2):
        """True once TEXT is in the output (the reader thread lags the process by a little)."""
        wait_until(lambda: text in self.output(), timeout, "%r in the backend's output:\n%s" % (text, self.output()))
        return True

    def request(self, method, path, timeout=10):
        """(status, parsed JSON body); every body is kept for the tests that look for leaked secrets."""
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                         data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        self.bodies.append(body)
        return status, json.loads(body)

    def everything_written(self):
        """What the process logged and answered, for the secret checks: it is stopped first, so that its
        last words are in."""
        self.stop()
        return self.output() + "\n".join(self.bodies)

    def signal(self, signum):
        self.process.send_signal(signum)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)


@pytest.fixture
def start_backend():
    """start_backend(**env) -> a running Backend; all are stopped at the end of the test."""
    started = []

    def start(**env):
        backend = Backend(env)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


@pytest.fixture
def redis_env(redis_tls, tls_files):
    """The backend's environment for redis_tls, as the task definition gives it (SSL_CERT_FILE: the trust
    store that knows the test CA, as an AWS image's trusts Amazon's)."""
    return {"REDIS_HOST": REDIS_HOSTNAME, "REDIS_PORT": str(redis_tls.port), "REDIS_TLS": "true",
            "REDIS_AUTH_TOKEN": redis_tls.token, "SSL_CERT_FILE": str(tls_files["ca"])}
