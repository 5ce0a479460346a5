#!/usr/bin/env bash
# ansible-test sanity on the collection as it would be installed: build the tarball, install it
# into a scratch collections tree, run the tests there (a clean tree, no tests/output leftovers).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="${VENV:-$repo/.venv}/bin"
# Outside the git work tree: inside it, ansible-test would honour .gitignore and skip everything.
out="${SANITY_DIR:-${TMPDIR:-/tmp}/ecs_webstack-sanity}"
rm -rf "$out"
mkdir -p "$out/dist"
"$bin/ansible-galaxy" collection build --force --output-path "$out/dist" "$repo" >/dev/null
"$bin/ansible-galaxy" collection install --force --no-deps -p "$out/collections" "$out"/dist/*.tar.gz >/dev/null

# ansible-test bootstraps pip with a script it would download; offline, give it one that uses
# ensurepip. ensurepip leaves PIP_CONFIG_FILE=/dev/null behind, which hides the machine's pip
# configuration (CA bundle, mirrors): drop it before calling pip.
version="$("$bin/python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements.get_venv_packages)).group(1))
PY
)"
mkdir -p "$HOME/.ansible/test/cache"
cat > "$HOME/.ansible/test/cache/get_pip_${version//./_}.py" <<'PY'
"""Offline stand-in for get-pip.py: bootstrap pip with ensurepip, then install what was asked."""
import ensurepip, os, subprocess, sys
ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if any(not a.startswith("-") for a in args):
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY

# validate-modules resolves doc fragments only from the collections tree it runs in: put the
# dependencies (amazon.aws, community.aws from the `ansible` package) beside the collection.
site="$("$bin/python" -c 'import ansible_collections, os; print(os.path.dirname(ansible_collections.__path__[0]))')"
mkdir -p "$out/collections/ansible_collections/community"
cp -r "$site/ansible_collections/amazon" "$out/collections/ansible_collections/"
cp -r "$site/ansible_collections/community/aws" "$out/collections/ansible_collections/community/"

cd "$out/collections/ansible_collections/stackops/ecs_webstack"
# The dependencies (amazon.aws, community.aws) come from the `ansible` package in the venv.
export ANSIBLE_COLLECTIONS_PATH="$out/collections"
"$bin/ansible-test" sanity --local --python "$("$bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
