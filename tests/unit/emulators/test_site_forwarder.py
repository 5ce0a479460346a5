"""tools/emulators/site_forwarder.py: one stable local address for the emulated public tasks.

Real sockets on 127.0.0.1: two small HTTP servers stand for two frontend tasks' published ports.
"""

from __future__ import annotations

import http.server
import os
import socket
import sys
import threading
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "emulators"))

import site_forwarder  # noqa: E402  pylint: disable=wrong-import-position


class _Task(http.server.ThreadingHTTPServer):
    """An HTTP server that answers its own name: a frontend task."""

    def __init__(self, name):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server hook's name
                body = name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.name = name
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def target(self):
        return self.server_address


def _get(address):
    try:
        with urllib.request.urlopen("http://%s:%d/" % address, timeout=5) as response:  # noqa: S310 - loopback
            return response.read().decode()
    except (urllib.error.URLError, ConnectionError) as error:
        return "error: %s" % error


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def tasks():
    running = [_Task("task-a"), _Task("task-b")]
    yield running
    for task in running:
        task.shutdown()
        task.server_close()


def test_connections_go_round_robin_to_every_running_task(tasks):
    forwarder = site_forwarder.start(_free_port(), lambda: [task.target for task in tasks])
    try:
        answers = [_get(forwarder.address) for _request in range(6)]
    finally:
        forwarder.stop()
    assert sorted(set(answers)) == ["task-a", "task-b"] and answers.count("task-a") == 3


def test_a_task_that_refuses_is_skipped_and_a_new_list_is_used_at_once(tasks):
    current = [tasks[0].target, tasks[1].target]
    forwarder = site_forwarder.start(_free_port(), lambda: list(current))
    try:
        tasks[0].shutdown()
        tasks[0].server_close()  # task-a's port now refuses connections: it is skipped, no request fails
        assert [_get(forwarder.address) for _request in range(4)] == ["task-b"] * 4
        replacement = _Task("task-c")
        current[:] = [tasks[1].target, replacement.target]
        assert sorted({_get(forwarder.address) for _request in range(4)}) == ["task-b", "task-c"]
        replacement.shutdown()
        replacement.server_close()
    finally:
        forwarder.stop()


def test_no_running_task_refuses_the_connection_and_stop_frees_the_port():
    port = _free_port()
    forwarder = site_forwarder.start(port, lambda: [])
    assert _get(forwarder.address).startswith("error:")
    forwarder.stop()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))  # the port is free again after stop
