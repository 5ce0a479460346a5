"""Run moto in server mode with the harness's patches and a request log.

This is the local stand-in for AWS used by ``make deploy-local`` and the tests.
It is ``moto_server`` plus two things the plain command cannot do:

* ``moto_patches.apply()`` runs in this process before the first request, so the
  documented gaps between moto and AWS (see ``moto_patches.py``) are closed for the
  test harness only; the collection's modules never know about them.
* every request is appended to a JSON-lines log (service, action, read/write), so
  tests and benchmarks can count API calls and prove that check mode or a no-op
  run writes nothing.

``--ecs-tasks containers`` (ctl.py passes WEBSTACK_ECS_TASKS) also starts, in this process, the emulated
data plane behind moto's API records: ecs_tasks.py (every ECS service's tasks as podman containers),
vpc_dns.py (the VPC resolver at 169.254.169.253: Cloud Map and ElastiCache names) and elasticache_nodes.py
(replication groups as redis-server containers). They read moto's backends in process, so none of their
reads is in the request log. ``instant`` (the default) starts none of them: every ECS service settles at
once (moto_patches.py, ecs-service-tasks-follow-desired).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import logging
import re
import signal
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
    parser.add_argument("--ecs-tasks", choices=("instant", "containers"),
                        default=os.environ.get("WEBSTACK_ECS_TASKS", "instant") or "instant",
                        help="instant: services settle at once; containers: tasks run as podman containers")
    parser.add_argument("--run-dir", default=os.environ.get("WEBSTACK_RUN_DIR", ""),
                        help="state of the emulated data plane (containers mode)")
    args = parser.parse_args(argv)

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ["MOTO_PORT"] = str(args.port)
    os.environ["WEBSTACK_ECS_TASKS"] = args.ecs_tasks  # read by moto_patches.apply()

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from werkzeug.serving import run_simple
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    import moto_patches

    moto_patches.apply()
    app = RequestLog(DomainDispatcherApplication(create_backend_app), args.request_log)
    handles = start_data_plane(str(args.port), args.run_dir or os.path.dirname(args.request_log) or ".") \
        if args.ecs_tasks == "containers" else []

    def shut_down(_signum, _frame):
        # ctl stop sends SIGTERM: remove this instance's containers before the process goes.
        for handle in reversed(handles):
            try:
                handle.stop()
            except Exception:  # noqa: BLE001 - stop the others all the same
                logging.getLogger("moto_launcher").exception("stopping %r failed", handle)
        os._exit(0)

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


def start_data_plane(instance: str, run_dir: str) -> list:
    """Containers mode: start the ElastiCache nodes, the VPC resolver and the ECS scheduler; return their
    handles (each with .stop()). A module that is missing or fails to start is logged and left out."""
    log = logging.getLogger("moto_launcher")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    os.makedirs(run_dir, exist_ok=True)
    handles = []
    ca_bundle = None
    try:
        import elasticache_nodes

        handles.append(elasticache_nodes.start(instance, run_dir))
        ca_bundle = elasticache_nodes.ca_bundle_path(run_dir)
        log.info("containers mode: ElastiCache nodes started (CA bundle %s)", ca_bundle)
    except ImportError as err:
        log.warning("containers mode: no emulated ElastiCache nodes (elasticache_nodes.py: %s)", err)
    except Exception:  # noqa: BLE001
        log.exception("containers mode: the emulated ElastiCache nodes did not start")
    try:
        import vpc_dns

        handles.append(vpc_dns.start(instance))
        log.info("containers mode: VPC resolver started")
    except ImportError as err:
        log.warning("containers mode: no VPC resolver (vpc_dns.py: %s); tasks start without one", err)
    except Exception:  # noqa: BLE001
        log.exception("containers mode: the VPC resolver did not start; tasks start without one")
    import ecs_tasks

    scheduler = ecs_tasks.start(instance, run_dir, ca_bundle)
    handles.append(scheduler)
    log.info("containers mode: ECS tasks run as containers (instance %s)", instance)
    site_port = os.environ.get("WEBSTACK_SITE_PORT")
    if site_port:
        import site_forwarder

        site_service = os.environ.get("WEBSTACK_SITE_SERVICE", "frontend")

        def site_targets():
            # The RUNNING public tasks of every service of that name (one per cluster: one stack per moto).
            return [(port["hostIp"], port["hostPort"]) for key, ports in sorted(scheduler.published().items())
                    if key.rsplit("/", 1)[-1] == site_service for port in ports]

        handles.append(site_forwarder.start(int(site_port), site_targets))
        log.info("containers mode: the site at http://127.0.0.1:%s/ (the %s service's public tasks)", site_port,
                 site_service)
    return handles


if __name__ == "__main__":
    main()
