"""Runs inside a fresh network namespace (``unshare --net``): brings its loopback up, serves the health
endpoints (small HTTP servers, or nginx with a given configuration), runs each health check command the way ECS
does (``sh -c <command>``) with PATH limited to one directory, and prints what happened as JSON.

    unshare --net -- python netns_probe.py spec.json

The spec: {"servers": [{"port": 80, "paths": ["/healthz"], "status": 200}],
           "nginx": {"argv": [...], "port": 80} or null,
           "runs": [{"id": "curl", "shell": "/tmp/box/sh", "path": "/tmp/box", "command": "..."}]}

Nothing here can reach outside the namespace: 127.0.0.1:80 is the namespace's own.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HITS = []  # (port, path, user agent) of every request the servers answered


def _handler(port, paths, status):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            HITS.append({"port": port, "path": self.path, "agent": self.headers.get("User-Agent", "")})
            code = status if self.path in paths else 404
            body = b"ok\n" if code == 200 else b"no\n"
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


def _wait_for(port, timeout=10.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("exited with %s before port %d accepted connections" % (proc.returncode, port))
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError("port %d did not accept connections within %ss" % (port, timeout))


def main(spec_path):
    spec = json.load(open(spec_path, encoding="utf-8"))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # Proof that this is a namespace of our own: nothing listens anywhere, and the ports are free.
    listening = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    out = {"links": [line.split(":")[1].strip() for line in listening.splitlines()], "runs": {}, "hits": HITS}
    servers = []
    for server in spec.get("servers") or []:
        httpd = ThreadingHTTPServer(("127.0.0.1", server["port"]), _handler(server["port"], server["paths"], server["status"]))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
    nginx = None
    if spec.get("nginx"):
        nginx = subprocess.Popen(spec["nginx"]["argv"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for(spec["nginx"]["port"], proc=nginx)
    try:
        for run in spec["runs"]:
            before = len(HITS)
            done = subprocess.run([run["shell"], "-c", run["command"]], env={"PATH": run["path"]}, cwd="/",
                                  capture_output=True, text=True, timeout=30, check=False)
            out["runs"][run["id"]] = {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                                      "hits": HITS[before:]}
    finally:
        for httpd in servers:
            httpd.shutdown()
            httpd.server_close()
        if nginx is not None:
            nginx.terminate()
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(timeout=5)
            out["nginx_stderr"] = nginx.stderr.read().decode(errors="replace")
            nginx.stderr.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
