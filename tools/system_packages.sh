#!/usr/bin/env bash
# Install the Debian packages the project needs that are missing (as root, with apt; nothing else changes).
#   tools/system_packages.sh containers   podman, runc, debootstrap: the local stack (make deploy-local)
#   tools/system_packages.sh test         those, plus nginx, busybox, make, redis-server, chromium (make test, CI)
# podman needs the project's containers.conf (tools/containers/containers.conf, passed by CONTAINERS_CONF),
# never a change to the machine's files: runc instead of crun, no default ulimits, cgroupfs.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
want() {  # want <package> <command>...: the package when none of the commands is found
  local package="$1"; shift
  for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 && return 0
    [ -x "/usr/sbin/$command" ] && return 0
  done
  need+=("$package")
}
case "${1:-}" in
  containers|test) ;;
  *) echo "usage: $0 containers|test" >&2; exit 2 ;;
esac
want podman podman
want runc runc
want debootstrap debootstrap
if [ "$1" = test ]; then
  want nginx-light nginx          # the data-plane tests (nginx_discovery)
  want busybox busybox            # the alpine images' wget, for the health check test
  want make make
  want redis-server redis-server  # the sample backend's tests (TLS + AUTH)
  want chromium chromium          # the headless browser test of the local stack
fi
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root: apt-get install ${need[*]})" >&2
  exit 1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
