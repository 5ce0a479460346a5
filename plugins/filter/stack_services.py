# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack's services as data (webstack_services): checked, completed, and the views the roles take.

    {{ webstack_services | stackops.ecs_webstack.stack_service_errors }}         -> ['webstack_services[worker].cpu ...']
    {{ webstack_services | stackops.ecs_webstack.stack_services(check, healthz) }} -> [every entry with every field]
    {{ services | stackops.ecs_webstack.stack_services_network }}                -> network_services (who reaches whom)
    {{ services | stackops.ecs_webstack.stack_services_images }}                 -> ecr_images

An entry names a service and says what it is; every field but ``name`` has a default (SERVICE_FIELDS). Who may reach
whom is data too: ``reaches`` lists the services (and ``redis``) a service opens connections to; the network role
turns it into security group rules, the deploy into Redis settings, and ``routes`` (a public service's nginx
locations) into the frontend's proxy configuration. The checks here need no AWS call and run before any change.

The default list (roles/webstack/defaults/main.yml) describes the frontend and backend from the per-service variables
of earlier releases (webstack_backend_cpu, ...); its entries carry ``var_names`` so that a message names the
variable the user set. An entry the user writes has none: its messages say ``webstack_services[<name>].<field>``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.network import (
    RESERVED_SERVICE_NAMES, SERVICE_NAME_RULE, service_name_problem)

# field -> (type, default). A default of None is computed per service (see stack_services).
SERVICE_FIELDS = {
    "name": ("str", None),
    "image_tag": ("str", ""),
    "build_context": ("str", ""),
    "dockerfile": ("str", "Dockerfile"),
    "port": ("int", 8080),
    "cpu": ("int", 256),
    "memory": ("int", 512),
    "desired_count": ("int", 1),
    "autoscaling": ("bool", False),
    "min_count": ("int", 1),
    "max_count": ("int", 4),
    "discovery": ("bool", None),
    "discovery_ttl": ("int", 10),
    "public": ("bool", False),
    "routes": ("list", []),
    "reaches": ("list", []),
    "secrets": ("dict", {}),
    "environment": ("dict", {}),
    "command": ("list", []),
    "health_check_command": ("str", None),
    "var_names": ("dict", {}),
}
ROUTE_PATH = re.compile(r"^/([A-Za-z0-9._~-]+/)*$")
VARIABLE = "webstack_services"


def _label(entry, field, index=None):
    """The variable a message names for ``field`` of ``entry``."""
    names = entry.get("var_names") if isinstance(entry, Mapping) else None
    if isinstance(names, Mapping) and names.get(field):
        return names[field]
    name = entry.get("name") if isinstance(entry, Mapping) else None
    where = name if isinstance(name, str) and name else str(index)
    return "%s[%s].%s" % (VARIABLE, where, field)


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip() or "x") is not None


def _is_bool(value):
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in
                                       ("true", "false", "yes", "no", "on", "off", "1", "0"))


def _as_bool(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "1")


def _type_ok(kind, value):
    if kind == "int":
        return _is_int(value)
    if kind == "bool":
        return _is_bool(value)
    if kind == "str":
        return isinstance(value, str)
    if kind == "list":
        return isinstance(value, (list, tuple))
    return isinstance(value, Mapping)


_KIND_WORDS = {"int": "a whole number", "bool": "true or false", "str": "a string", "list": "a list",
               "dict": "a mapping"}


def stack_service_errors(services):
    """Every problem of ``services`` as one message each (empty when it is fine): the shape of each entry, the types
    of its fields, unique and valid names, and that reaches and routes name services that exist and can be found."""
    if not isinstance(services, (list, tuple)) or not services:
        return ["%s must be a non-empty list of services (each a mapping with at least a name), for example "
                "[{name: frontend, public: true, port: 80, routes: [{path: /api/, service: backend}]}, "
                "{name: backend, reaches: [redis]}]; see docs/services.md." % VARIABLE]
    errors = []
    names = []
    for index, entry in enumerate(services):
        if not isinstance(entry, Mapping):
            errors.append("%s[%d] is %r, not a mapping: give each service as {name: ..., ...}." % (VARIABLE, index, entry))
            continue
        unknown = sorted(set(entry) - set(SERVICE_FIELDS))
        if unknown:
            errors.append("%s: unknown field %s; the fields are %s." % (
                _label(entry, unknown[0], index).rsplit(".", 1)[0], ", ".join(unknown),
                ", ".join(sorted(f for f in SERVICE_FIELDS if f != "var_names"))))
        name = entry.get("name")
        # The rule is the network role's (module_utils/network.py): the name is also a security group's.
        problem = service_name_problem(name)
        if problem == "invalid":
            errors.append("%s[%d].name is %r: give each service a name of %s (it names the ECS service, the image "
                          "repository, the log group, the task role and the security group)."
                          % (VARIABLE, index, name, SERVICE_NAME_RULE))
            continue
        if problem == "reserved":
            errors.append("%s[%s].name: %s is reserved (the network role's own security groups are %s): rename the "
                          "service." % (VARIABLE, name, name, " and ".join(RESERVED_SERVICE_NAMES)))
        if name in names:
            errors.append("%s: two services are named %s: names must be unique." % (VARIABLE, name))
        names.append(name)
        for field, (kind, _default) in SERVICE_FIELDS.items():
            if field in entry and entry[field] is not None and not _type_ok(kind, entry[field]):
                errors.append("%s is %r: it must be %s." % (_label(entry, field), entry[field], _KIND_WORDS[kind]))
    if errors:
        return errors
    return _relation_errors(services)


def _relation_errors(services):
    """What the entries say of each other: reaches, routes, discovery, counts."""
    errors = []
    by_name = dict((s["name"], s) for s in services)
    reached = set()
    routed_to = set()
    for entry in services:
        name = entry["name"]
        for target in entry.get("reaches") or []:
            if target == name:
                errors.append("%s lists %s itself: a service always reaches its own tasks; remove it."
                              % (_label(entry, "reaches"), name))
            elif target != "redis" and target not in by_name:
                errors.append("%s names %r, which is neither a service of %s (%s) nor redis: fix the name or add "
                              "the service." % (_label(entry, "reaches"), target, VARIABLE, ", ".join(sorted(by_name))))
            else:
                reached.add(target)
        routes = entry.get("routes") or []
        if routes and not _as_bool(entry.get("public", False)):
            errors.append("%s: only a public service (public: true, nginx in front) can route paths to other "
                          "services; set public: true on %s or remove its routes." % (_label(entry, "routes"), name))
        if len(routes) > 1:
            errors.append("%s has %d routes: the frontend's nginx configuration (nginx_discovery) proxies one "
                          "location in this release; keep one (for example {path: /api/, service: backend})."
                          % (_label(entry, "routes"), len(routes)))
        for route in routes:
            if not isinstance(route, Mapping) or set(route) != {"path", "service"}:
                errors.append("%s: each route is {path: /api/, service: <name>}, got %r."
                              % (_label(entry, "routes"), route))
                continue
            if not isinstance(route["path"], str) or not ROUTE_PATH.match(route["path"]):
                errors.append("%s: path %r must start and end with / (for example /api/)."
                              % (_label(entry, "routes"), route["path"]))
            target = by_name.get(route["service"])
            if target is None:
                errors.append("%s: service %r is not in %s (%s)." % (
                    _label(entry, "routes"), route["service"], VARIABLE, ", ".join(sorted(by_name))))
            elif _as_bool(target.get("public", False)):
                errors.append("%s: %s is public; a route leads to a private service that nginx finds in Cloud "
                              "Map: set public: false on %s."
                              % (_label(entry, "routes"), target["name"], target["name"]))
            elif route["service"] not in (entry.get("reaches") or []):
                errors.append("%s: %s routes to %s but its reaches does not list it, so no security group rule "
                              "would let nginx in: add %s to %s." % (
                                  _label(entry, "routes"), entry["name"], target["name"], target["name"],
                                  _label(entry, "reaches")))
            else:
                routed_to.add(route["service"])
    for entry in services:
        name = entry["name"]
        if "discovery" in entry and not _as_bool(entry["discovery"]) and name in reached:
            errors.append("%s is false, but other services reach %s, which find its tasks only through Cloud Map: "
                          "remove discovery: false." % (_label(entry, "discovery"), name))
        if "discovery" in entry and _as_bool(entry["discovery"]) and _as_bool(entry.get("public", False)):
            errors.append("%s: a public service is found by its public address, not in Cloud Map: remove "
                          "discovery: true from %s." % (_label(entry, "discovery"), name))
        if name in reached and _as_bool(entry.get("public", False)):
            errors.append("%s: %s is public and reached by other services; services reach private services "
                          "(found in Cloud Map): make %s private or remove it from their reaches."
                          % (_label(entry, "public"), name, name))
        for field in ("cpu", "memory"):
            if field in entry and int(entry[field]) <= 0:
                errors.append("%s is %s: it must be above 0." % (_label(entry, field), entry[field]))
        if "port" in entry and not 0 < int(entry["port"]) < 65536:
            errors.append("%s is %s: use a port from 1 to 65535." % (_label(entry, "port"), entry["port"]))
        if "discovery_ttl" in entry and not 0 < int(entry["discovery_ttl"]) <= 300:
            errors.append("%s is %s: use 1-300 seconds (Cloud Map's record TTL, on which nginx re-resolves)."
                          % (_label(entry, "discovery_ttl"), entry["discovery_ttl"]))
        if _as_bool(entry.get("autoscaling", False)):
            low, high = int(entry.get("min_count", 1)), int(entry.get("max_count", 4))
            if not 0 <= low <= high or high < 1:
                errors.append("%s=%s and %s=%s: autoscaling needs 0 <= min <= max and max >= 1." % (
                    _label(entry, "min_count"), low, _label(entry, "max_count"), high))
        if "desired_count" in entry and int(entry["desired_count"]) < 0:
            errors.append("%s is %s: it must be 0 or more." % (_label(entry, "desired_count"), entry["desired_count"]))
    publics = [s["name"] for s in services if _as_bool(s.get("public", False))]
    if len([s for s in services if s.get("routes")]) > 1:
        errors.append("%s: more than one service has routes (%s): one nginx frontend serves the routes in this "
                      "release." % (VARIABLE, ", ".join(s["name"] for s in services if s.get("routes"))))
    if len(publics) > 1:
        errors.append("%s: %s are public; the stack has one public entry point (the frontend, or the ALB in front "
                      "of it): make one public and route to the others." % (VARIABLE, " and ".join(publics)))
    return errors


def stack_services(services, http_check="", healthz_path="/healthz", image_tags=None):
    """The entries with every field set (defaults filled, types converted), in the order given.

    ``image_tags`` maps a service name to a tag that wins over its entry's image_tag when not empty: the
    ``webstack_<name>_image_tag`` variables (dashes as underscores), which is how ``-e`` and update_image.yml give a
    new tag without rewriting the list.

    ``http_check`` is the health check command with two ``%s`` for the URL (webstack_http_check): a service that
    sets no health_check_command gets it for nginx's ``healthz_path`` when it has routes (the frontend) and for
    ``/health`` on its port otherwise. ``discovery`` defaults to whether any service reaches or routes to it."""
    errors = stack_service_errors(services)
    if errors:
        raise AnsibleFilterError("stack_services: " + " ".join(errors))
    reached = set()
    for entry in services:
        reached.update(entry.get("reaches") or [])
        reached.update(route["service"] for route in entry.get("routes") or [])
    out = []
    for entry in services:
        resolved = {}
        for field, (kind, default) in SERVICE_FIELDS.items():
            value = entry.get(field)
            if value is None:
                value = default
            if kind == "int" and value is not None:
                value = int(value)
            elif kind == "bool" and value is not None:
                value = _as_bool(value)
            elif kind in ("list", "dict") and value is not None:
                value = list(value) if kind == "list" else dict(value)
            resolved[field] = value
        override = (image_tags or {}).get(resolved["name"])
        if override:
            resolved["image_tag"] = str(override)
        if resolved["discovery"] is None:
            resolved["discovery"] = resolved["name"] in reached
        if resolved["health_check_command"] is None:
            url = ("http://127.0.0.1%s" % healthz_path if resolved["routes"]
                   else "http://127.0.0.1:%d/health" % resolved["port"])
            resolved["health_check_command"] = (http_check % (url, url)) if http_check else ""
        resolved["routes"] = [dict(route) for route in resolved["routes"]]
        resolved["labels"] = dict((field, _label(entry, field)) for field in SERVICE_FIELDS if field != "var_names")
        if override:
            resolved["labels"]["image_tag"] = image_tag_variable(resolved["name"])
        out.append(resolved)
    return out


def stack_service_peak(service, what="count"):
    """The most tasks ``service`` runs (its autoscaling maximum, else its desired count), or (what=label) the
    variable that sets it: what the EC2 capacity checks add up."""
    field = "max_count" if service["autoscaling"] else "desired_count"
    return service["labels"][field] if what == "label" else service[field]


def image_tag_variable(name):
    """The variable that gives service ``name`` another image tag: webstack_<name>_image_tag."""
    return "webstack_%s_image_tag" % name.replace("-", "_")


def _resolved(services):
    malformed = [s for s in services or [] if not isinstance(s, Mapping) or "labels" not in s]
    if not isinstance(services, (list, tuple)) or malformed:
        raise AnsibleFilterError("expects the list stack_services returns (webstack_services_resolved)")
    return services


def stack_services_network(services):
    """What the network role needs of each service (network_services): name, port, public, reaches."""
    return [{"name": s["name"], "port": s["port"], "public": s["public"], "reaches": list(s["reaches"])}
            for s in _resolved(services)]


def stack_services_images(services):
    """The ecr role's ecr_images: one repository per service, the tag to deploy and how to build it."""
    def tag_variables(service):
        # Where the tag is set, and the variable that overrides it for one run (-e, update_image.yml).
        names = [service["labels"]["image_tag"], image_tag_variable(service["name"])]
        return " or ".join(sorted(set(names), key=names.index))

    return [{"name": s["name"], "tag": s["image_tag"], "build_context": s["build_context"],
             "dockerfile": s["dockerfile"], "tag_variable": tag_variables(s)} for s in _resolved(services)]


class FilterModule(object):
    def filters(self):
        return {
            "stack_service_errors": stack_service_errors,
            "stack_services": stack_services,
            "stack_services_network": stack_services_network,
            "stack_services_images": stack_services_images,
            "stack_image_tag_variable": image_tag_variable,
            "stack_service_peak": stack_service_peak,
        }
