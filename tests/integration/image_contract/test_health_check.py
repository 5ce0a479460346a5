"""The health checks deploy.yml gives the containers work on both official nginx image families.

The commands are not copied here: they are what deploy.yml passes as ecs_service_health_check_command (the
health_check_command of each default webstack_services entry, through roles/webstack/tasks/service.yml), rendered by
Ansible with the webstack role's defaults/main.yml and vars/main.yml as deploy.yml renders them (and the ecs_service
role's own default, for the role used alone). Each one is then run as ECS runs a CMD-SHELL check, ``sh -c
<command>``, with PATH holding only what an image family has:

* curl and sh (Debian-based images such as nginx:<version>),
* busybox as wget and as sh, or busybox wget with dash (alpine-based images such as nginx:<version>-alpine),
* neither tool: the check must fail,

against small HTTP servers that answer the health paths, then answer 500 (the check must fail with either tool),
then do not answer at all; and the frontend's command against nginx running the configuration the nginx_discovery
role renders (its healthz location, with an empty web root, so nothing else can answer 200).

Everything runs in a fresh network namespace (``unshare --net``, loopback brought up inside), so port 80 on
127.0.0.1 is the namespace's own and nothing on this machine is touched.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PROBE = HERE / "netns_probe.py"
URL = re.compile(r"http://127\.0\.0\.1(?::(\d+))?(/[^\s;|&'\"]*)")

# The nginx harness (find_nginx, main_config, run_role), loaded by path under its own name.
_spec = importlib.util.spec_from_file_location("image_contract_nginx_harness", REPO / "tests" / "integration" / "nginx" / "harness.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules["image_contract_nginx_harness"] = harness
_spec.loader.exec_module(harness)


def _unshare_argv():
    """The way to get a network namespace of our own here, or None (with the reason) when there is none."""
    candidates = [["unshare", "--net"]] if os.geteuid() == 0 else []
    candidates.append(["unshare", "--user", "--map-root-user", "--net"])
    if not shutil.which("unshare") or not shutil.which("ip"):
        return None, "unshare or ip (util-linux, iproute2) is not installed"
    errors = []
    for argv in candidates:
        probe = subprocess.run(argv + ["ip", "link", "set", "lo", "up"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return argv, ""
        errors.append("%s: %s" % (" ".join(argv), probe.stderr.strip()))
    return None, "no network namespace can be made here (" + "; ".join(errors) + ")"


UNSHARE, NO_UNSHARE = _unshare_argv()
pytestmark = pytest.mark.skipif(UNSHARE is None, reason=NO_UNSHARE or "no network namespace")


def _service_mapping():
    """What roles/webstack/tasks/service.yml (the one place a webstack_services entry becomes ecs_service settings,
    for deploy.yml and destroy.yml) passes as the health check and the container port."""
    tasks = yaml.safe_load((REPO / "roles" / "webstack" / "tasks" / "service.yml").read_text())
    includes = [task for task in tasks if (task.get("ansible.builtin.include_role") or {}).get("name") == "stackops.ecs_webstack.ecs_service"]
    assert len(includes) == 1, includes
    return includes[0]["vars"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """What deploy.yml passes as each service's health check (the webstack role's default services, resolved by its
    vars/main.yml as deploy.yml resolves them), the ecs_service role's default, and the nginx configuration, rendered by
    ansible-playbook with the files deploy.yml loads."""
    work = tmp_path_factory.mktemp("render")
    mapping = _service_mapping()
    assert mapping["ecs_service_health_check_command"] == "{{ webstack_service.health_check_command }}", mapping
    assert mapping["ecs_service_container_port"] == "{{ webstack_service.port }}", mapping
    static_root = work / "empty-root"
    static_root.mkdir()
    out = work / "rendered.json"
    playbook = [{
        "name": "Render the health checks deploy.yml passes, and the frontend's nginx configuration",
        "hosts": "localhost",
        "gather_facts": False,
        # The stack-wide defaults (deploy.yml imports them), its derived values, and the role's own defaults.
        "vars_files": [str(REPO / "roles" / "webstack" / "defaults" / "main.yml"), str(REPO / "roles" / "webstack" / "vars" / "main.yml"),
                       str(REPO / "roles" / "ecs_service" / "defaults" / "main.yml")],
        "tasks": [
            {"name": "Render the frontend's nginx configuration (its defaults: listen 80, the healthz location)",
             "ansible.builtin.include_role": {"name": "stackops.ecs_webstack.nginx_discovery"},
             "vars": {"nginx_discovery_backend_name": "backend.webstack-local.local", "nginx_discovery_syntax_check": False,
                      # Only so that nothing outside the test directory is served or written.
                      "nginx_discovery_static_root": str(static_root),
                      "nginx_discovery_access_log": str(work / "access.log")}},
            {"name": "Save what was rendered",
             "ansible.builtin.copy": {"dest": str(out), "mode": "0600", "content": (
                 "{{ {'services': webstack_services_resolved, 'role_default': ecs_service_health_check_command,"
                 " 'nginx': nginx_discovery_config} | to_json }}")}},
        ],
    }]
    path = work / "render.yml"
    path.write_text(yaml.safe_dump(playbook, sort_keys=False))
    harness.ensure_collection_link()
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(harness.COLLECTIONS_DIR),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", "ansible_python_interpreter=" + sys.executable, str(path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    saved = json.loads(out.read_text())
    services = {entry["name"]: entry for entry in saved["services"]}
    assert set(services) == {"frontend", "backend"}, services
    return {"frontend": services["frontend"]["health_check_command"], "backend": services["backend"]["health_check_command"],
            "frontend_port": int(services["frontend"]["port"]), "backend_port": int(services["backend"]["port"]),
            "role_default": saved["role_default"], "nginx": saved["nginx"], "static_root": str(static_root)}


def _endpoint(command, container_port):
    """(port, path) the command asks; every URL in it must be the same one, on the container's port."""
    urls = {(int(port) if port else 80, path) for port, path in URL.findall(command)}
    assert len(urls) == 1, "the health check should ask one URL: %s" % command
    port, path = urls.pop()
    assert port == container_port, "%s asks port %d, the container listens on %d" % (command, port, container_port)
    return port, path


@pytest.fixture(scope="module")
def boxes(tmp_path_factory):
    """PATH directories holding only what an image family has (and the shell it runs CMD-SHELL with)."""
    busybox = shutil.which("busybox")
    if not busybox:
        raise RuntimeError("busybox is not installed: apt-get install -y busybox (the alpine images' wget)")
    curl = "/usr/bin/curl"
    assert os.access(curl, os.X_OK), "curl is not installed at /usr/bin/curl: apt-get install -y curl"
    dash = os.path.realpath("/bin/sh")
    root = tmp_path_factory.mktemp("boxes")
    layout = {
        "curl": {"sh": dash, "curl": curl},  # Debian-based image
        "busybox": {"sh": busybox, "wget": busybox},  # alpine-based image: busybox is /bin/sh and wget
        "busybox_wget_dash": {"sh": dash, "wget": busybox},
        "neither": {"sh": dash},
    }
    out = {}
    for name, tools in layout.items():
        box = root / name
        box.mkdir()
        for tool, target in tools.items():
            (box / tool).symlink_to(target)
        out[name] = str(box)
    return out


def _probe(tmp_path, servers, runs, nginx=None):
    spec = tmp_path / ("spec-%d.json" % len(list(tmp_path.glob("spec-*.json"))))
    spec.write_text(json.dumps({"servers": servers, "runs": runs, "nginx": nginx}))
    proc = subprocess.run(UNSHARE + ["--", sys.executable, str(PROBE), str(spec)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["links"] == ["lo"], "not a namespace of our own: %s" % result["links"]
    return result


def _runs(boxes, commands):
    return [{"id": "%s/%s" % (service, box), "shell": os.path.join(boxes[box], "sh"), "path": boxes[box], "command": command}
            for service, command in commands.items() for box in boxes]


def _commands(rendered):
    return {"frontend": rendered["frontend"], "backend": rendered["backend"], "role_default": rendered["role_default"]}


def _servers(rendered, status):
    wanted = {}
    for name, command in _commands(rendered).items():
        port, path = _endpoint(command, rendered["backend_port"] if name != "frontend" else rendered["frontend_port"])
        wanted.setdefault(port, set()).add(path)
    return [{"port": port, "paths": sorted(paths), "status": status} for port, paths in sorted(wanted.items())]


def test_the_defaults_are_cmd_shell_strings_that_work_without_wget_or_without_curl(rendered):
    for name, command in _commands(rendered).items():
        assert "curl" in command and "wget" in command, (name, command)
        assert not command.startswith("CMD"), "ecs_service adds CMD-SHELL itself: %s" % command
    assert _endpoint(rendered["frontend"], rendered["frontend_port"]) == (80, "/healthz")
    assert _endpoint(rendered["backend"], rendered["backend_port"])[1] == "/health"
    # Used alone, the role asks the same endpoint as deploy.yml does for the backend.
    assert _endpoint(rendered["role_default"], rendered["backend_port"]) == _endpoint(rendered["backend"], rendered["backend_port"])


def test_healthy_containers_pass_with_curl_or_busybox_wget_and_fail_with_neither(rendered, boxes, tmp_path):
    result = _probe(tmp_path, _servers(rendered, 200), _runs(boxes, _commands(rendered)))
    for run_id, run in result["runs"].items():
        service, box = run_id.split("/")
        agents = [hit["agent"] for hit in run["hits"]]
        if box == "neither":
            assert run["rc"] == 1 and agents == [], (run_id, run)
            continue
        assert run["rc"] == 0, (run_id, run)
        # One request per check, by the tool the image has.
        assert len(agents) == 1 and agents[0].lower().startswith("curl" if box == "curl" else "wget"), (run_id, agents)


def test_an_error_answer_or_no_answer_fails_with_either_tool(rendered, boxes, tmp_path):
    errored = _probe(tmp_path, _servers(rendered, 500), _runs(boxes, _commands(rendered)))
    silent = _probe(tmp_path, [], _runs(boxes, _commands(rendered)))
    for result in (errored, silent):
        for run_id, run in result["runs"].items():
            assert run["rc"] == 1, (run_id, run)
    # The 500 was asked for (by curl or by wget), not skipped.
    for run_id, run in errored["runs"].items():
        assert len(run["hits"]) == (0 if run_id.endswith("/neither") else 1), (run_id, run)


def test_the_frontend_check_finds_the_healthz_location_of_the_rendered_nginx_configuration(rendered, boxes, tmp_path):
    port, path = _endpoint(rendered["frontend"], rendered["frontend_port"])
    text = rendered["nginx"]
    location = re.search(r"location = %s \{(.*?)\}" % re.escape(path), text, re.S)
    assert location and "return 200" in location.group(1), "no %s location answering 200 in:\n%s" % (path, text)
    assert re.search(r"^\s*listen %d;" % port, text, re.M), "the configuration does not listen on %d" % port

    nginx_bin = harness.find_nginx()
    work = tmp_path / "nginx"
    work.mkdir()
    (work / "default.conf").write_text(text)
    (work / "nginx.conf").write_text(harness.main_config(work, work / "default.conf"))
    argv = [nginx_bin, "-p", f"{work}/", "-e", str(work / "error.log"), "-c", str(work / "nginx.conf")]
    runs = [{"id": box, "shell": os.path.join(boxes[box], "sh"), "path": boxes[box], "command": rendered["frontend"]}
            for box in boxes]
    # The same command against a path nginx does not serve: with an empty web root only healthz answers 200.
    wrong = rendered["frontend"].replace(path, path + "-not-there")
    runs += [{"id": box + "/wrong-path", "shell": os.path.join(boxes[box], "sh"), "path": boxes[box], "command": wrong}
             for box in ("curl", "busybox")]
    result = _probe(tmp_path, [], runs, nginx={"argv": argv, "port": port})
    assert {run_id: run["rc"] for run_id, run in result["runs"].items()} == {
        "curl": 0, "busybox": 0, "busybox_wget_dash": 0, "neither": 1, "curl/wrong-path": 1, "busybox/wrong-path": 1,
    }, result
