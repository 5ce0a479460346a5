#!/usr/bin/env python3
"""After `make deploy-local`: print the running site's address and check it answers as a user would see it.

    python tools/site_check.py [--url http://127.0.0.1:5080] [--timeout 120]

Checks, through the frontend's nginx: the page (GET / is the app shell with its #whoami element) and the API
(GET /api/whoami answers JSON naming the backend task). Waits up to --timeout for the first answer (tasks
start, pass their health checks and register in Cloud Map; nginx resolves the backend's name on its TTL),
then prints what answered. Exit 1, saying which part failed and where to look, when it does not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request

DEFAULT_SITE_PORT = 5080


def site_url(env=None) -> str:
    env = os.environ if env is None else env
    return "http://127.0.0.1:%s" % env.get("WEBSTACK_SITE_PORT", DEFAULT_SITE_PORT)


def fetch(url: str, timeout: float = 5.0):
    """(status, body) of GET url; (None, reason) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the local site
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return None, str(getattr(error, "reason", error))


def check(url: str, timeout: float) -> list:
    """The problems left after waiting up to ``timeout`` seconds: [] when the page and /api answer."""
    deadline = time.monotonic() + timeout
    while True:
        problems = []
        status, page = fetch(url + "/")
        if status != 200 or 'id="whoami"' not in page:
            problems.append("GET %s/ gave %s%s: the frontend tasks are not serving the app (make status-local; "
                            "podman ps)" % (url, status or "no answer", "" if status else " (%s)" % page))
        status, body = fetch(url + "/api/whoami")
        try:
            answer = json.loads(body) if status == 200 else None
        except ValueError:
            answer = None
        if not (isinstance(answer, dict) and answer.get("task")):
            problems.append("GET %s/api/whoami gave %s: nginx reaches no backend task (Cloud Map instances, the "
                            "backend's health checks: make status-local)" % (url, status or "no answer"))
        if not problems or time.monotonic() >= deadline:
            return problems if problems else [answer]
        time.sleep(1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--url", default=site_url())
    parser.add_argument("--timeout", type=float, default=120)
    options = parser.parse_args(argv)
    started = time.monotonic()
    result = check(options.url.rstrip("/"), options.timeout)
    if result and isinstance(result[0], dict):
        print("The site runs at %s/ (first answer after %.1f s): /api answered by task %s, version %s"
              % (options.url.rstrip("/"), time.monotonic() - started, result[0]["task"], result[0].get("version")))
        return 0
    for problem in result:
        print("error: " + problem, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
