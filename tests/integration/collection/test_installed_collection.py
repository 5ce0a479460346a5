"""The Galaxy route: build the tarball, install it, and run the playbooks by name with an
inventory that lives outside the repository (as a user who installed the collection would)."""

import os
import shutil
import subprocess
import sys

import pytest

from ..stack.stackrun import REPO, Emulators, Run, stack_resources

BIN = os.path.dirname(sys.executable)


def _run(cmd, env=None, cwd=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False,
                          timeout=900, stdin=subprocess.DEVNULL)
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("galaxy")
    dist = root / "dist"
    built = _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(dist), REPO])
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = next(dist.glob("stackops-ecs_webstack-*.tar.gz"))
    collections = root / "collections"
    done = _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--force", "--no-deps", "-p", str(collections), str(tarball)])
    assert done.returncode == 0, done.stdout + done.stderr
    return root, collections


def _env(collections, extra=None):
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    env.update(extra or {})
    return env


def test_tarball_holds_the_collection_and_no_dev_files(installed):
    _root, collections = installed
    base = collections / "ansible_collections" / "stackops" / "ecs_webstack"
    for wanted in ("MANIFEST.json", "playbooks/deploy.yml", "playbooks/destroy.yml", "playbooks/status.yml",
                   "roles/ecr/meta/argument_specs.yml", "plugins/modules/ecr_image_info.py", "meta/runtime.yml"):
        assert (base / wanted).exists(), wanted
    for unwanted in (".venv", ".git", "tools", "molecule", ".run", "sample_app"):
        assert not (base / unwanted).exists(), unwanted


def test_ansible_doc_lists_the_modules_and_roles(installed):
    root, collections = installed
    listed = _run([os.path.join(BIN, "ansible-doc"), "-l", "stackops.ecs_webstack"], env=_env(collections), cwd=str(root))
    assert listed.returncode == 0, listed.stderr
    for module in ("ecr_image_info", "atlas_access_list", "ecs_image_rollout", "cloudmap_service"):
        assert "stackops.ecs_webstack." + module in listed.stdout
    roles = _run([os.path.join(BIN, "ansible-doc"), "-t", "role", "-l", "stackops.ecs_webstack"], env=_env(collections), cwd=str(root))
    assert roles.returncode == 0, roles.stderr
    for role in ("ecr", "network", "atlas_access", "nginx_discovery"):
        assert "stackops.ecs_webstack." + role in roles.stdout


def test_playbooks_by_name_with_an_outside_inventory(installed, tmp_path):
    root, collections = installed
    inventory = tmp_path / "my-inventory"
    shutil.copytree(os.path.join(REPO, "inventories", "local"), inventory)
    with Emulators() as emulators:
        emulators.reset()
        env = _env(collections, {k: v for k, v in emulators.env().items() if k.startswith("WEBSTACK_")})
        play = [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory)]
        deployed = Run(_run(play + ["stackops.ecs_webstack.deploy"], env=env, cwd=str(root)))
        assert deployed.rc == 0, deployed.output[-4000:]
        assert any(r.startswith("ecr:webstack-local/") for r in stack_resources(emulators))
        status = Run(_run(play + ["stackops.ecs_webstack.status"], env=env, cwd=str(root)))
        assert status.rc == 0 and status.changed == 0, status.output[-4000:]
        destroyed = Run(_run(play + ["stackops.ecs_webstack.destroy", "-e", "webstack_destroy_confirm=yes"], env=env, cwd=str(root)))
        assert destroyed.rc == 0, destroyed.output[-4000:]
        assert stack_resources(emulators) == []
