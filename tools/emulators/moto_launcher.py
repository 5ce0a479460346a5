"""Run moto in server mode with the harness's patches and a request log.

This is the local stand-in for AWS used by ``make deploy-local`` and the tests.
It is ``moto_server`` plus two things the plain command cannot do:

* ``moto_patches.apply()`` runs in this process before the first request, so the
  documented gaps between moto and AWS (see ``moto_patches.py``) are closed for the
  test harness only; the collection's modules never know about them.
* every request is appended to a JSON-lines log (service, action, read/write), so
  tests and benchmarks can count API calls and prove that check mode or a no-op
  run writes nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import threading
import time
from urllib.parse import parse_qs

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Discover", "BatchGet", "Lookup", "Head")
_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def classify(action: str, method: str) -> str:
    """Return "read" or "write" for one API call."""
    if action:
        return "read" if action.startswith(READ_PREFIXES) else "write"
    return "read" if method in ("GET", "HEAD") else "write"


class RequestLog:
    """WSGI middleware that records every AWS call to a JSON-lines file."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api") or not self.path:
            return self.app(environ, start_response)
        action = ""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            action = target.rsplit(".", 1)[-1]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if not action:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            if "Action" in query:
                action = query["Action"][0]
            elif body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
                form = parse_qs(body.decode("utf-8", "replace"))
                action = form.get("Action", [""])[0]
        match = _SCOPE_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = match.group(1) if match else ""
        record = {
            "ts": round(time.time(), 3),
            "service": service,
            "action": action,
            "method": method,
            "path": path,
            "kind": classify(action, method),
        }
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return self.app(environ, start_response)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--request-log", default="", help="append one JSON line per AWS call here")
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ["MOTO_PORT"] = str(args.port)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from werkzeug.serving import run_simple
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    import moto_patches

    moto_patches.apply()
    app = RequestLog(DomainDispatcherApplication(create_backend_app), args.request_log)
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
