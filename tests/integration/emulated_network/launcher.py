"""moto in this (the pytest) process, on a thread, with the harness's patches: the emulated data plane
(vpc_dns, elasticache_nodes) reads moto's in-process backends, so it must share moto's process, and the
tests drive it from here. It is what tools/emulators/moto_launcher.py does, without the request log."""

from __future__ import annotations

import os
import sys
import threading

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EMULATORS = os.path.join(REPO, "tools", "emulators")
sys.path.insert(0, EMULATORS)
sys.path.insert(0, os.path.join(REPO, "tools", "containers"))


class MotoThread:
    def __init__(self, port: int, host: str = "127.0.0.1"):
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        os.environ["MOTO_PORT"] = str(port)
        from moto.moto_server.threaded_moto_server import MotoRequestHandler
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        import moto_patches

        moto_patches.apply()
        app = DomainDispatcherApplication(create_backend_app)
        self.server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self.endpoint = "http://%s:%d" % (host, port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="moto-%d" % port)

    def start(self) -> "MotoThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
