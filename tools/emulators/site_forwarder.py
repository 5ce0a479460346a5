"""The local site's one address: 127.0.0.1:<port>, forwarded to the public tasks of the emulated ECS.

On AWS the free-tier stack has no load balancer: a user reaches a frontend task at its public IP, port 80
(the frontend's security group admits the internet). Locally a task with assignPublicIp has its container port
published on 127.0.0.1 at a port podman chose, a different one for every task and every replacement, so this
forwarder gives the site one address that stays: each new TCP connection goes to the next RUNNING public task
(round robin), and a task that refuses the connection is skipped for the next one (as a user would retry
another address). It forwards bytes both ways and nothing else: no HTTP, no retry of a request that a task
accepted and then dropped (nginx's own behaviour, and the tests', are what is measured).

start(port, targets) runs it in threads of the calling process; ``targets()`` returns the [(host, port)] to
use now (the emulated ECS's RUNNING public tasks).
"""

from __future__ import annotations

import itertools
import socket
import threading

CONNECT_TIMEOUT_SECONDS = 2.0
BUFFER = 65536


class SiteForwarder:
    def __init__(self, port: int, targets, host: str = "127.0.0.1"):
        self.targets = targets
        self.listener = socket.create_server((host, port), reuse_port=False)
        self.listener.settimeout(0.5)
        self.address = self.listener.getsockname()
        self.stopping = threading.Event()
        self.turn = itertools.count()
        self.thread = threading.Thread(target=self._accept, name="site-forwarder", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                client, _peer = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _connect(self):
        """A connection to the next target that accepts one, or None when none does."""
        found = list(self.targets() or [])
        if not found:
            return None
        first = next(self.turn)
        for offset in range(len(found)):
            target = found[(first + offset) % len(found)]
            try:
                return socket.create_connection(target, timeout=CONNECT_TIMEOUT_SECONDS)
            except OSError:
                continue
        return None

    def _serve(self, client):
        upstream = self._connect()
        if upstream is None:
            client.close()  # nothing runs: the connection is refused as an address with no listener
            return
        upstream.settimeout(None)
        client.settimeout(None)
        pumps = [threading.Thread(target=_pump, args=(client, upstream), daemon=True),
                 threading.Thread(target=_pump, args=(upstream, client), daemon=True)]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        for sock in (client, upstream):
            sock.close()


def _pump(source, sink):
    try:
        while True:
            data = source.recv(BUFFER)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def start(port: int, targets, host: str = "127.0.0.1") -> SiteForwarder:
    return SiteForwarder(port, targets, host).start()
