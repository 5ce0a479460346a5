"""The sample worker: no public port, it only reaches Redis (Python 3 standard library only).

Every WORKER_INTERVAL_SECONDS it runs INCR WORKER_COUNTER_KEY on the backend's Redis, with the backend's settings
and client (app.py beside this file in the image, which is built FROM the backend's): REDIS_HOST, REDIS_PORT
(6379), REDIS_TLS (true/false) and the task's secret REDIS_AUTH_TOKEN. Nothing secret is ever logged or answered.

    GET /health   200 {"status": "ok", ...} while the last successful INCR is at most HEALTHY_INTERVALS intervals
                  old; 503 before the first success ("starting") and after ("failing"), with the ticks done and
                  the last error: ECS replaces a worker that cannot reach Redis
    GET /status   {"ticks", "last_value", "last_error", ...}: successful INCRs, the counter after the last one,
                  the last tick's error (null when it succeeded)

Environment: WORKER_PORT (8081; the container's health check asks it, nothing else needs it), LISTEN_ADDRESS
(0.0.0.0), WORKER_INTERVAL_SECONDS (2), WORKER_COUNTER_KEY (webstack:worker:ticks), TASK_ID, APP_VERSION.

One line on stdout per failed tick (and one when ticks succeed again). SIGTERM: stop ticking, stop serving, exit 0
at once (an INCR in flight is not waited for beyond STOP_WAIT_SECONDS).
"""

import os
import signal
import sys
import threading
import time

# In the image app.py is beside this file (/app); in the repository it is in ../backend.
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "backend"))

import app  # noqa: E402  pylint: disable=wrong-import-position

DEFAULT_PORT = 8081
DEFAULT_INTERVAL_SECONDS = 2.0
DEFAULT_COUNTER_KEY = "webstack:worker:ticks"
HEALTHY_INTERVALS = 3
STOP_WAIT_SECONDS = 0.5


class WorkerSettings(app.Settings):
    """The backend's settings (Redis, task, version, listen address) and the worker's own."""

    def __init__(self, environ):
        super().__init__(environ)
        self.port = int(environ.get("WORKER_PORT") or DEFAULT_PORT)
        self.interval = float(environ.get("WORKER_INTERVAL_SECONDS") or DEFAULT_INTERVAL_SECONDS)
        if not self.interval > 0:
            raise ValueError("WORKER_INTERVAL_SECONDS must be a positive number of seconds")
        self.counter_key = environ.get("WORKER_COUNTER_KEY") or DEFAULT_COUNTER_KEY


class Ticker:
    """INCR the counter every interval; what the endpoints report, under a lock (the HTTP threads read it)."""

    def __init__(self, settings, redis):
        self.settings, self.redis = settings, redis
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.ticks = self.failures = self._failing_since_success = 0
        self.last_value = self.last_error = self._last_success = None

    def run(self):
        next_tick = time.monotonic()
        while not self.stopping.is_set():
            self.tick()
            # At a fixed rate; a tick that took longer than the interval makes the next one start at once.
            next_tick = max(next_tick + self.settings.interval, time.monotonic())
            self.stopping.wait(next_tick - time.monotonic())

    def tick(self):
        try:
            if self.redis is None:
                raise app.RedisError("redis is not configured (REDIS_HOST)")
            value = self.redis.command("INCR", self.settings.counter_key)
        except app.RedisError as error:
            with self._lock:
                self.failures += 1
                self._failing_since_success += 1
                self.last_error = str(error)
            app.log("tick failed: %s" % error)
            return
        with self._lock:
            recovered, self._failing_since_success = self._failing_since_success, 0
            self.ticks += 1
            self.last_value, self.last_error, self._last_success = value, None, time.monotonic()
        if recovered:
            app.log("tick succeeded after %d failed (%s = %s)" % (recovered, self.settings.counter_key, value))

    def status(self):
        with self._lock:
            since = None if self._last_success is None else time.monotonic() - self._last_success
            return {"ticks": self.ticks, "failures": self.failures, "last_value": self.last_value,
                    "last_error": self.last_error, "key": self.settings.counter_key,
                    "seconds_since_success": None if since is None else round(since, 3),
                    "interval_seconds": self.settings.interval}

    def health(self):
        status = self.status()
        if status["seconds_since_success"] is None:
            state = "starting" if not status["failures"] else "failing"
        else:
            state = "ok" if status["seconds_since_success"] <= HEALTHY_INTERVALS * self.settings.interval else "failing"
        return (200 if state == "ok" else 503), dict(status, status=state)


class WorkerHandler(app.Handler):
    server_version = "webstack-worker"
    ROUTES = {"/health": {"GET": "health"}, "/status": {"GET": "status"}}

    def health(self):
        return self.server.ticker.health()

    def status(self):
        return 200, self.server.ticker.status()


def main():
    try:
        settings = WorkerSettings(os.environ)
    except ValueError as error:
        app.log("webstack-worker: bad setting: %s" % error)
        return 2
    server = app.Server(settings, WorkerHandler)
    server.ticker = ticker = Ticker(settings, server.redis)

    def stop(signum, _frame):
        if not ticker.stopping.is_set():
            ticker.stopping.set()
            app.log("received %s: stopping" % signal.Signals(signum).name)
            # shutdown() waits for serve_forever(), which runs in this (the main) thread: from another one.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    app.log("webstack-worker %s: INCR %s every %g s on redis %s%s; health on %s:%d (task %s)"
            % (settings.version, settings.counter_key, settings.interval, settings.redis_endpoint or "not configured",
               " tls" if settings.redis_host and settings.redis_tls else "", host, port, settings.task))
    thread = threading.Thread(target=ticker.run, name="ticker", daemon=True)
    thread.start()
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    thread.join(STOP_WAIT_SECONDS)
    if server.redis is not None and not thread.is_alive():  # else a command in flight holds the client's lock
        server.redis.close()
    app.log("stopped after %d ticks" % ticker.status()["ticks"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
