#!/usr/bin/env python3
"""Start, stop and inspect the local emulators: moto (AWS) and the Atlas stand-in.

    python tools/emulators/ctl.py start     # both, waits until each answers
    python tools/emulators/ctl.py stop      # kills only the processes this script started
    python tools/emulators/ctl.py status
    python tools/emulators/ctl.py reset     # empties moto and the Atlas stand-in

Ports: WEBSTACK_MOTO_PORT (default 5055), WEBSTACK_ATLAS_PORT (default 5056).
Optional: WEBSTACK_FRONT_PORT also starts, after moto, the adversarial AWS front
(aws_front.py: a proxy before moto that throttles and lags as a busy account does; point the
clients at it instead of moto). Its faults are set with POST /_front/config, reset resets it
too, its request log is front-requests.jsonl. Unset, nothing of it runs.
State (pid files, logs, request logs): WEBSTACK_RUN_DIR (default <repo>/.run).
WEBSTACK_ECS_TASKS=instant (default: every ECS service settles at once, nothing runs) or containers (ECS
tasks, ElastiCache nodes and the VPC resolver run for real as podman containers: ecs_tasks.py); the mode is
passed to moto and recorded in <run dir>/moto.mode (`status` shows it). `stop` and `reset` remove every
podman container and network labelled stackops.ecs_webstack.emulator=<moto port>.
Several copies (one per test run) can live side by side with different ports and
run dirs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def settings(env=None):
    env = os.environ if env is None else env
    run_dir = env.get("WEBSTACK_RUN_DIR") or os.path.join(REPO, ".run")
    return {
        "run_dir": run_dir,
        "moto_port": int(env.get("WEBSTACK_MOTO_PORT", "5055")),
        "atlas_port": int(env.get("WEBSTACK_ATLAS_PORT", "5056")),
        "front_port": int(env["WEBSTACK_FRONT_PORT"]) if env.get("WEBSTACK_FRONT_PORT") else None,
        "ecs_tasks": (env.get("WEBSTACK_ECS_TASKS") or "instant").strip().lower(),
        # containers mode: where the VPC resolver listens (vpc_dns.py; default 169.254.169.253); two instances
        # in containers mode at once need different addresses.
        "vpc_dns_address": env.get("WEBSTACK_VPC_DNS_ADDRESS") or None,
        # containers mode: the local site's address, 127.0.0.1:<site_port>, forwarded to the frontend's public
        # tasks (site_forwarder.py); unset, no forwarder runs.
        "site_port": int(env["WEBSTACK_SITE_PORT"]) if env.get("WEBSTACK_SITE_PORT") else None,
    }


def services(cfg):
    """The emulators: name -> command line, readiness URL, log files."""
    run_dir = cfg["run_dir"]
    found = {
        "moto": {
            "cmd": [
                sys.executable,
                os.path.join(HERE, "moto_launcher.py"),
                "--port",
                str(cfg["moto_port"]),
                "--request-log",
                os.path.join(run_dir, "moto-requests.jsonl"),
                "--ecs-tasks",
                cfg.get("ecs_tasks") or "instant",
                "--run-dir",
                run_dir,
            ],
            "ready": f"http://127.0.0.1:{cfg['moto_port']}/moto-api/",
            "marker": "moto_launcher.py",
        }
    }
    if cfg.get("front_port"):
        found["front"] = {
            "cmd": [
                sys.executable,
                os.path.join(HERE, "aws_front.py"),
                "--port",
                str(cfg["front_port"]),
                "--upstream",
                f"http://127.0.0.1:{cfg['moto_port']}",
                "--request-log",
                os.path.join(run_dir, "front-requests.jsonl"),
            ],
            "ready": f"http://127.0.0.1:{cfg['front_port']}/_front/health",
            "marker": "aws_front.py",
        }
    atlas = os.path.join(HERE, "atlas_standin.py")
    if os.path.exists(atlas):
        found["atlas"] = {
            "cmd": [
                sys.executable,
                atlas,
                "--port",
                str(cfg["atlas_port"]),
                "--request-log",
                os.path.join(run_dir, "atlas-requests.jsonl"),
            ],
            "ready": f"http://127.0.0.1:{cfg['atlas_port']}/_standin/health",
            "marker": "atlas_standin.py",
        }
    return found


def _pid_file(cfg, name):
    return os.path.join(cfg["run_dir"], f"{name}.pid")


def _read_pid(cfg, name):
    try:
        with open(_pid_file(cfg, name), encoding="utf-8") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _is_ours(pid, marker):
    """True when pid is alive and is the emulator we started (not a reused pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read().decode("utf-8", "replace")
    except OSError:
        return False
    return marker in cmdline


def _answers(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except OSError:
        return False


MODES = ("instant", "containers")
OWNER_LABEL = "stackops.ecs_webstack.emulator"  # sg_networks.OWNER_LABEL: on every container and network


def _mode_file(cfg):
    return os.path.join(cfg["run_dir"], "moto.mode")


def recorded_mode(cfg):
    """The WEBSTACK_ECS_TASKS mode the running moto was started with (None when unknown)."""
    try:
        with open(_mode_file(cfg), encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


def start(cfg, timeout=30.0):
    os.makedirs(cfg["run_dir"], exist_ok=True)
    mode = cfg.get("ecs_tasks") or "instant"
    if mode not in MODES:
        raise SystemExit(f"WEBSTACK_ECS_TASKS={mode!r}: use instant or containers")
    for name, svc in services(cfg).items():
        pid = _read_pid(cfg, name)
        if pid and _is_ours(pid, svc["marker"]):
            if name == "moto" and recorded_mode(cfg) not in (None, mode):
                raise SystemExit(f"moto: already running with WEBSTACK_ECS_TASKS={recorded_mode(cfg)}, not {mode}; "
                                 "stop it first")
            print(f"{name}: already running (pid {pid}, {svc['ready']})")
            continue
        if _answers(svc["ready"]):
            raise SystemExit(
                f"{name}: something else already answers on {svc['ready']}; stop it or set "
                f"WEBSTACK_{name.upper()}_PORT to a free port"
            )
        log = open(os.path.join(cfg["run_dir"], f"{name}.log"), "ab")  # noqa: SIM115 - handed to the child
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", WEBSTACK_ECS_TASKS=mode,
                   WEBSTACK_RUN_DIR=cfg["run_dir"])
        if cfg.get("vpc_dns_address"):
            env["WEBSTACK_VPC_DNS_ADDRESS"] = cfg["vpc_dns_address"]
        env.pop("WEBSTACK_SITE_PORT", None)
        if cfg.get("site_port") and mode == "containers":
            env["WEBSTACK_SITE_PORT"] = str(cfg["site_port"])
        if name == "moto":
            with open(_mode_file(cfg), "w", encoding="utf-8") as handle:
                handle.write(mode + "\n")
        proc = subprocess.Popen(  # noqa: S603 - fixed command line
            svc["cmd"], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        with open(_pid_file(cfg, name), "w", encoding="utf-8") as handle:
            handle.write(str(proc.pid))
        deadline = time.monotonic() + timeout
        while not _answers(svc["ready"]):
            if proc.poll() is not None:
                raise SystemExit(f"{name}: exited with {proc.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: not ready after {timeout:.0f}s; see {log.name}")
            time.sleep(0.1)
        print(f"{name}: ready (pid {proc.pid}, {svc['ready']})")


def stop(cfg):
    for name, svc in services(cfg).items():
        pid = _read_pid(cfg, name)
        if pid and _is_ours(pid, svc["marker"]):
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not _is_ours(pid, svc["marker"]):
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
            print(f"{name}: stopped (pid {pid})")
        else:
            print(f"{name}: not running")
        try:
            os.unlink(_pid_file(cfg, name))
        except FileNotFoundError:
            pass
    removed = remove_containers(cfg, networks=True)
    if removed:
        print("podman: removed %d container(s), %d network(s) labelled %s=%s"
              % (removed[0], removed[1], OWNER_LABEL, cfg["moto_port"]))
    try:
        os.unlink(_mode_file(cfg))
    except FileNotFoundError:
        pass


def remove_containers(cfg, networks=True):
    """Remove every podman container (and network) of this emulator instance, found by its label; return
    (containers, networks) removed, or None when podman is not installed (nothing can have been started)."""
    import shutil

    if not shutil.which("podman"):
        return None
    sys.path.insert(0, os.path.join(REPO, "tools", "containers"))
    import images  # noqa: PLC0415  (tools/containers/images.py: podman with the project's containers.conf)

    label = "label=%s=%s" % (OWNER_LABEL, cfg["moto_port"])
    containers = (images.podman("ps", "-aq", "--filter", label, check=False).stdout or "").split()
    if containers:
        images.podman("rm", "-f", "-t", "0", *containers, check=False)
    found = []
    if networks:
        found = (images.podman("network", "ls", "-q", "--filter", label, check=False).stdout or "").split()
        if found:
            images.podman("network", "rm", "-f", *found, check=False)
    return len(containers), len(found)


def status(cfg):
    running = True
    for name, svc in services(cfg).items():
        pid = _read_pid(cfg, name)
        alive = bool(pid and _is_ours(pid, svc["marker"]) and _answers(svc["ready"]))
        running = running and alive
        extra = f" (WEBSTACK_ECS_TASKS={recorded_mode(cfg) or 'instant'})" if name == "moto" and alive else ""
        print(f"{name}: {'running' if alive else 'stopped'} {svc['ready']}{extra}")
    return running


def _post(url, body=None):
    urllib.request.urlopen(  # noqa: S310 - loopback only
        urllib.request.Request(url, data=body, method="POST"), timeout=10
    ).read()


def reset(cfg):
    _post(f"http://127.0.0.1:{cfg['moto_port']}/moto-api/reset")
    if "front" in services(cfg):
        _post(f"http://127.0.0.1:{cfg['front_port']}/_front/reset", b"{}")
    if "atlas" in services(cfg):
        _post(f"http://127.0.0.1:{cfg['atlas_port']}/_standin/reset", b"{}")
    # moto's reset emptied ECS and ElastiCache: in containers mode what ran for them goes too (the schedulers
    # go on from the empty backends). In instant mode nothing runs, and a reset stays one HTTP call.
    if recorded_mode(cfg) == "containers":
        remove_containers(cfg, networks=True)
    for log in ("moto-requests.jsonl", "atlas-requests.jsonl"):
        try:
            os.unlink(os.path.join(cfg["run_dir"], log))
        except FileNotFoundError:
            pass
    print("emulators: reset")


def main(argv):
    cfg = settings()
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        start(cfg)
    elif command == "stop":
        stop(cfg)
    elif command == "status":
        return 0 if status(cfg) else 1
    elif command == "reset":
        reset(cfg)
    elif command == "env":
        print(json.dumps(cfg))
    else:
        raise SystemExit(f"unknown command {command!r}: use start, stop, status, reset or env")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
