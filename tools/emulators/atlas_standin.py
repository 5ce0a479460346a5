#!/usr/bin/env python3
"""Local stand-in for the MongoDB Atlas Administration API v2 (the subset this collection uses).

    python tools/emulators/atlas_standin.py --port 5056 --request-log .run/atlas-requests.jsonl

Implements, after tests/contracts/atlas-admin-v2.subset.yaml and ATLAS-NOTES.md:

* HTTP Digest (programmatic API keys; MD5, qop=auth, realm "MMS Public API") and service
  accounts (``POST /api/oauth/token`` client credentials, then ``Authorization: Bearer``);
* the versioned media type: a request without a supported
  ``Accept: application/vnd.atlas.<date>+json`` gets 406 ``INVALID_VERSION_DATE``;
* ``GET /api/atlas/v2/groups/{groupId}``;
* the project IP access list: paginated GET, POST (array body, upsert on the address,
  200 with the paginated list), GET/DELETE one entry (``/`` of a CIDR encoded as ``%2F``),
  GET ``.../status`` (PENDING for ``--pending-seconds`` after it was added, then ACTIVE),
  temporary entries expire after ``deleteAfterDate``, the 400/403/404 codes of the notes;
* clusters: paginated list and one cluster, seeded with ``--cluster-name`` and its
  connection strings;
* ``RateLimit-Limit``/``RateLimit-Remaining`` headers and a token bucket per project
  (1200, refill 500 per minute, as the documented defaults) answering 429 ``RATE_LIMITED``
  with ``Retry-After``.

Control endpoints (not part of Atlas, never logged):

* ``GET /_standin/health``; ``POST /_standin/reset`` (empty access list, seed data, no faults);
* ``POST /_standin/faults`` ``{"status": 429, "count": 2, "retry_after": 1}``,
  ``{"status": 500, "count": 1}``, ``{"delay": 3, "count": 1}``, optional ``"method"`` and
  ``"path_contains"``; ``GET`` lists them, ``DELETE`` clears them;
* ``POST /_standin/config`` ``{"pending_seconds": 0.2, "token_ttl": 5, "api_access_list": ["10.0.0.0/8"]}``;
* ``GET /_standin/state`` (projects, entries with their status) and ``GET /_standin/requests``
  (the request log kept in memory; ``DELETE`` empties it).

Every API request is appended to ``--request-log`` as one JSON line: ts, method, path (as
sent, still URL-encoded), query, status and kind (``read``/``write``; ``auth`` for a 401
challenge; ``token`` for the token endpoint).
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote

REALM = "MMS Public API"
API = "/api/atlas/v2"
MEDIA_RE = re.compile(r"application/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json")
VERSIONS_ACCESS_LIST = ("2023-01-01",)
VERSIONS_GROUP = ("2023-01-01",)
VERSIONS_CLUSTERS = ("2023-01-01", "2023-02-01", "2024-08-05")
MAX_ENTRIES = 200
HEX24 = re.compile(r"^[a-f0-9]{24}$")
SG_RE = re.compile(r"^(?:[0-9]{12}/)?sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
ENTRY_FIELDS = {"awsSecurityGroup", "cidrBlock", "ipAddress", "comment", "deleteAfterDate"}
READONLY_FIELDS = {"groupId", "links"}
UTC = datetime.timezone.utc

DEFAULTS = {
    "public_key": "local-public-key",
    "private_key": "local-private-key",
    "client_id": "mdb_sa_id_local",
    "client_secret": "mdb_sa_sk_local",
    "project_id": "64b7f0c2a1b2c3d4e5f60718",
    "project_name": "webstack-local",
    "org_id": "64b7f0c2a1b2c3d4e5f60700",
    "cluster_name": "webstack-local",
    "pending_seconds": 1.0,
    "token_ttl": 3600,
    "nonce_ttl": 300,
    "base_href": "https://cloud.mongodb.com",
}


class ApiError(Exception):
    def __init__(self, status, code, detail, parameters=None, headers=None, reason=None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.parameters = parameters or []
        self.headers = headers or {}
        self.reason = reason

    def body(self):
        reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                   406: "Not Acceptable", 409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error"}
        # No "parameters": the spec types its items as objects while the real API is observed to send
        # strings (ATLAS-NOTES.md section 5); leaving it out satisfies both, the detail carries the values.
        return {"detail": self.detail, "error": self.status, "errorCode": self.code,
                "reason": self.reason or reasons.get(self.status, "Error")}


def _iso(ts):
    return datetime.datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(text):
    if not isinstance(text, str):
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _wire(obj):
    """Addresses as the stand-in echoes them: IPv6 in the full 8-group form the spec's patterns require."""
    if obj.version == 6:
        if isinstance(obj, ipaddress.IPv6Network):
            return "%s/%d" % (obj.network_address.exploded, obj.prefixlen)
        return obj.exploded
    return str(obj)


def _entry_key(value):
    """Key of a path value or entry value: canonical CIDR, or the security group."""
    if SG_RE.match(value):
        return value
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return None


class State:
    """Everything the stand-in knows. One lock guards it."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            cfg = self.cfg
            now = time.time()
            self.projects = {
                cfg["project_id"]: {
                    "id": cfg["project_id"],
                    "name": cfg["project_name"],
                    "orgId": cfg["org_id"],
                    "created": _iso(now - 86400),
                    "entries": {},  # key -> {"entry": {...}, "active_at": ts}
                    "clusters": {cfg["cluster_name"]: self._seed_cluster(cfg)},
                    "bucket": [1200.0, now],
                }
            }
            self.nonces = {}
            self.tokens = {}
            self.faults = []
            self.requests = []
            self.api_access_list = None

    def _seed_cluster(self, cfg):
        name = cfg["cluster_name"]
        host = "%s.x1y2z.mongodb.net" % name
        shard = ",".join("%s-shard-00-%02d.x1y2z.mongodb.net:27017" % (name, i) for i in range(3))
        return {
            "id": hashlib.md5(name.encode()).hexdigest()[:24],  # noqa: S324 - a stable fake id
            "groupId": cfg["project_id"],
            "name": name,
            "clusterType": "REPLICASET",
            "stateName": "IDLE",
            "paused": False,
            "backupEnabled": False,
            "mongoDBMajorVersion": "8.0",
            "mongoDBVersion": "8.0.4",
            "createDate": _iso(time.time() - 86400),
            "connectionStrings": {
                "standard": "mongodb://%s/?ssl=true&authSource=admin&replicaSet=atlas-x1y2z-shard-0" % shard,
                "standardSrv": "mongodb+srv://%s" % host,
            },
        }


class Handler(BaseHTTPRequestHandler):
    server_version = "AtlasStandIn/1.0"
    protocol_version = "HTTP/1.1"

    # ------------------------------------------------------------ plumbing
    def log_message(self, fmt, *args):  # quiet; the request log is the record
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    @property
    def state(self):
        return self.server.state

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload=None, content_type=None, headers=None):
        data = b""
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
        if self._kind:
            # Logged before the answer leaves, so a client never sees a response that is not logged yet.
            self._log(status, "auth" if status == 401 and self._kind != "token" else self._kind)
        self.server.exchanges_add(self, status, payload, content_type or ("application/json" if payload is not None else None),
                                  headers or {})
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", content_type or "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _log(self, status, kind):
        path, _sep, query = self.path.partition("?")
        record = {"ts": round(time.time(), 3), "method": self.command, "path": path, "query": query,
                  "status": status, "kind": kind}
        with self.state.lock:
            self.state.requests.append(record)
        if self.server.request_log:
            with self.server.log_lock, open(self.server.request_log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def _dispatch(self):
        self.request_body = self._body()
        self._project = None
        self.media = None
        self._kind = None
        self.server.current_request(self)
        path = self.path.partition("?")[0]
        if path.startswith("/_standin/"):
            return self._control(path)
        self._kind = "token" if path == "/api/oauth/token" else ("read" if self.command == "GET" else "write")
        try:
            self._api(path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout test); nothing to answer
        except ApiError as err:
            headers = dict(err.headers)
            headers.update(self._rate_headers())
            self._send(err.status, err.body(), headers=headers)
        except Exception as err:  # noqa: BLE001 - a stand-in bug must still answer
            self._send(500, ApiError(500, "UNEXPECTED_ERROR", "stand-in error: %r" % err).body())
        return None

    # ------------------------------------------------------------ control API
    def _control(self, path):
        state = self.state
        cmd = self.command
        if path == "/_standin/health" and cmd == "GET":
            return self._send(200, {"status": "ok"})
        if path == "/_standin/reset" and cmd == "POST":
            state.reset()
            return self._send(200, {"status": "reset"})
        if path == "/_standin/faults":
            with state.lock:
                if cmd == "POST":
                    spec = json.loads(self.request_body or b"{}")
                    specs = spec if isinstance(spec, list) else [spec]
                    for item in specs:
                        item.setdefault("count", 1)
                        state.faults.append(item)
                elif cmd == "DELETE":
                    state.faults = []
                return self._send(200, {"faults": state.faults})
        if path == "/_standin/config" and cmd == "POST":
            spec = json.loads(self.request_body or b"{}")
            with state.lock:
                for key in ("pending_seconds", "token_ttl", "nonce_ttl"):
                    if key in spec:
                        state.cfg[key] = float(spec[key])
                if "api_access_list" in spec:
                    nets = spec["api_access_list"]
                    state.api_access_list = None if nets is None else [ipaddress.ip_network(n) for n in nets]
                if spec.get("expire_tokens"):
                    state.tokens = {}
            return self._send(200, {k: v for k, v in state.cfg.items() if "key" not in k and "secret" not in k})
        if path == "/_standin/state" and cmd == "GET":
            return self._send(200, self._dump())
        if path == "/_standin/requests":
            with state.lock:
                if cmd == "DELETE":
                    state.requests = []
                return self._send(200, {"requests": list(state.requests)})
        return self._send(404, {"error": "unknown control endpoint"})

    def _dump(self):
        now = time.time()
        with self.state.lock:
            out = {}
            for pid, project in self.state.projects.items():
                self._expire(project)
                out[pid] = {
                    "name": project["name"],
                    "entries": [dict(item["entry"], STATUS="ACTIVE" if now >= item["active_at"] else "PENDING")
                                for item in project["entries"].values()],
                    "clusters": sorted(project["clusters"]),
                }
            return {"projects": out}

    # ------------------------------------------------------------ auth
    def _fault(self, path):
        with self.state.lock:
            for fault in self.state.faults:
                if fault.get("method") and fault["method"].upper() != self.command:
                    continue
                if fault.get("path_contains") and fault["path_contains"] not in path:
                    continue
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.state.faults.remove(fault)
                return dict(fault)
        return None

    def _apply_fault(self, path):
        fault = self._fault(path)
        if not fault:
            return
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        status = fault.get("status")
        if status == 429:
            after = int(fault.get("retry_after", 1))
            raise ApiError(429, "RATE_LIMITED",
                           "Rate limit exceeded for %s. Please retry after %d seconds." % (path, after),
                           parameters=[path, after], headers={"Retry-After": after})
        if status:
            code = {500: "UNEXPECTED_ERROR", 503: "SERVICE_UNAVAILABLE"}.get(int(status), "UNEXPECTED_ERROR")
            raise ApiError(int(status), code, "Injected fault.")

    def _challenge(self, stale=False):
        nonce = secrets.token_hex(16)
        with self.state.lock:
            self.state.nonces[nonce] = time.time()
        header = ('Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=%s'
                  % (REALM, nonce, "true" if stale else "false"))
        return ApiError(401, "USER_UNAUTHORIZED", "You are not authorized for this resource.",
                        headers={"WWW-Authenticate": header})

    def _authenticate(self):
        header = self.headers.get("Authorization") or ""
        cfg = self.state.cfg
        if header.startswith("Bearer "):
            token = header[7:].strip()
            with self.state.lock:
                expiry = self.state.tokens.get(token)
            if expiry is None or time.time() >= expiry:
                raise ApiError(401, "UNAUTHORIZED", "Invalid or expired access token.",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return "service_account"
        if not header.startswith("Digest "):
            raise self._challenge()
        fields = {}
        for match in re.finditer(r'([A-Za-z_]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', header[7:]):
            fields[match.group(1).lower()] = match.group(3) if match.group(3) is not None else match.group(2)
        nonce = fields.get("nonce", "")
        with self.state.lock:
            issued = self.state.nonces.get(nonce)
        if issued is None:
            raise self._challenge()
        if time.time() - issued > cfg["nonce_ttl"]:
            raise self._challenge(stale=True)
        if fields.get("username") != cfg["public_key"] or fields.get("realm") != REALM:
            raise self._challenge()
        if fields.get("uri") != self.path:
            raise ApiError(400, "INVALID_AUTHORIZATION", "Digest uri does not match the request URI.")

        def md5(text):
            return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 2617

        ha1 = md5("%s:%s:%s" % (cfg["public_key"], REALM, cfg["private_key"]))
        ha2 = md5("%s:%s" % (self.command, fields.get("uri", "")))
        if fields.get("qop") == "auth":
            expected = md5(":".join([ha1, nonce, fields.get("nc", ""), fields.get("cnonce", ""), "auth", ha2]))
        else:
            expected = md5("%s:%s:%s" % (ha1, nonce, ha2))
        if not secrets.compare_digest(expected, fields.get("response", "")):
            raise self._challenge()
        return "api_key"

    def _token_endpoint(self):
        cfg = self.state.cfg
        self._apply_fault("/api/oauth/token")
        header = self.headers.get("Authorization") or ""
        ok = False
        if header.startswith("Basic "):
            try:
                user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
                ok = user == cfg["client_id"] and password == cfg["client_secret"]
            except (ValueError, UnicodeDecodeError):
                ok = False
        form = parse_qs(self.request_body.decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            self._send(400, {"error": "unsupported_grant_type",
                             "error_description": "grant_type must be client_credentials."})
            return 400
        if not ok:
            self._send(401, {"error": "invalid_client", "error_description": "Invalid credentials provided."})
            return 401
        token = secrets.token_urlsafe(32)
        ttl = int(cfg["token_ttl"])
        with self.state.lock:
            self.state.tokens[token] = time.time() + ttl
        self._send(200, {"access_token": token, "expires_in": ttl, "token_type": "Bearer"})
        return 200

    # ------------------------------------------------------------ API
    def _version(self, allowed):
        accept = self.headers.get("Accept") or ""
        for date in MEDIA_RE.findall(accept):
            if date in allowed:
                return date
        raise ApiError(406, "INVALID_VERSION_DATE", "Invalid accept header or version date.")

    def _rate_headers(self):
        project = getattr(self, "_project", None)
        if project is None:
            return {}
        return {"RateLimit-Limit": 1200, "RateLimit-Remaining": max(0, int(project["bucket"][0]))}

    def _take_token(self, project):
        with self.state.lock:
            tokens, last = project["bucket"]
            now = time.time()
            tokens = min(1200.0, tokens + (now - last) * 500.0 / 60.0)
            if tokens < 1:
                project["bucket"] = [tokens, now]
                wait = int((1 - tokens) * 60.0 / 500.0) + 1
                raise ApiError(429, "RATE_LIMITED", "Rate limit exceeded. Please retry after %d seconds." % wait,
                               headers={"Retry-After": wait})
            project["bucket"] = [tokens - 1, now]

    def _api(self, path):
        if path == "/api/oauth/token" and self.command == "POST":
            return self._token_endpoint()
        if not path.startswith(API + "/"):
            raise ApiError(404, "RESOURCE_NOT_FOUND", "Cannot find resource %s." % path)
        self._authenticate()
        if self.state.api_access_list is not None:
            caller = ipaddress.ip_address(self.client_address[0])
            if not any(caller in net for net in self.state.api_access_list):
                raise ApiError(403, "IP_ADDRESS_NOT_ON_ACCESS_LIST",
                               "IP address %s is not allowed to access this resource." % caller,
                               parameters=[str(caller)])
        self._apply_fault(path)
        segments = path[len(API) + 1:].split("/")
        self.query = parse_qs(self.path.partition("?")[2])
        if segments[0] != "groups" or len(segments) < 2:
            raise ApiError(404, "RESOURCE_NOT_FOUND", "Cannot find resource %s." % path)
        rest = segments[2:]
        route = None
        if not rest:
            route = ("GET", self._get_group, VERSIONS_GROUP)
        elif rest == ["accessList"]:
            route = {"GET": ("GET", self._list_entries, VERSIONS_ACCESS_LIST),
                     "POST": ("POST", self._add_entries, VERSIONS_ACCESS_LIST)}.get(self.command)
        elif len(rest) == 2 and rest[0] == "accessList":
            route = {"GET": ("GET", self._get_entry, VERSIONS_ACCESS_LIST),
                     "DELETE": ("DELETE", self._delete_entry, VERSIONS_ACCESS_LIST)}.get(self.command)
        elif len(rest) == 3 and rest[0] == "accessList" and rest[2] == "status":
            route = ("GET", self._entry_status, VERSIONS_ACCESS_LIST)
        elif rest == ["clusters"]:
            route = ("GET", self._list_clusters, VERSIONS_CLUSTERS)
        elif len(rest) == 2 and rest[0] == "clusters":
            route = ("GET", self._get_cluster, VERSIONS_CLUSTERS)
        if not route or route[0] != self.command:
            raise ApiError(404, "RESOURCE_NOT_FOUND", "Cannot find resource %s." % path)
        version = self._version(route[2])
        project = self._project_for(segments[1])
        self._project = project
        self._take_token(project)
        self.media = "application/vnd.atlas.%s+json" % version
        return route[1](project, rest, version)

    def _project_for(self, group_id):
        if not HEX24.match(group_id):
            raise ApiError(404, "INVALID_GROUP_ID", "Invalid group ID %s." % group_id, parameters=[group_id])
        project = self.state.projects.get(group_id)
        if project is None:
            raise ApiError(404, "GROUP_NOT_FOUND", "No group with ID %s exists." % group_id, parameters=[group_id])
        return project

    def _ok(self, status, payload):
        self._send(status, payload, content_type=self.media if payload is not None else None,
                   headers=self._rate_headers())
        return status

    def _href(self, path):
        return self.state.cfg["base_href"] + path

    def _page(self, items, base_path):
        try:
            page = int(self.query.get("pageNum", ["1"])[0])
            per = int(self.query.get("itemsPerPage", ["100"])[0])
        except ValueError:
            raise ApiError(400, "INVALID_QUERY_PARAMETER", "pageNum and itemsPerPage must be integers.")
        if page < 1 or per < 1 or per > 500:
            raise ApiError(400, "INVALID_QUERY_PARAMETER",
                           "pageNum must be >= 1 and itemsPerPage between 1 and 500.")
        include = self.query.get("includeCount", ["true"])[0].lower() != "false"
        start = (page - 1) * per
        chunk = items[start:start + per]

        def link(rel, num):
            return {"href": self._href("%s?pageNum=%d&itemsPerPage=%d" % (base_path, num, per)), "rel": rel}

        links = [link("self", page)]
        if page > 1:
            links.append(link("previous", page - 1))
        if start + per < len(items):
            links.append(link("next", page + 1))
        body = {"links": links, "results": chunk}
        if include:
            body["totalCount"] = len(items)
        return body

    # groups
    def _get_group(self, project, _rest, _version):
        pid = project["id"]
        return self._ok(200, {
            "id": pid, "name": project["name"], "orgId": project["orgId"], "created": project["created"],
            "clusterCount": len(project["clusters"]),
            "links": [{"href": self._href("%s/groups/%s" % (API, pid)), "rel": "self"}],
        })

    # access list
    def _expire(self, project):
        now = datetime.datetime.now(UTC)
        for key in list(project["entries"]):
            expiry = _parse_date(project["entries"][key]["entry"].get("deleteAfterDate"))
            if expiry is not None and expiry <= now:
                del project["entries"][key]

    def _entries(self, project):
        with self.state.lock:
            self._expire(project)
            return [copy.deepcopy(item["entry"]) for item in project["entries"].values()]

    def _list_entries(self, project, _rest, _version):
        base = "%s/groups/%s/accessList" % (API, project["id"])
        return self._ok(200, self._page(self._entries(project), base))

    def _validate_entry(self, raw):
        if not isinstance(raw, dict):
            raise ApiError(400, "INVALID_JSON", "Each access list entry must be a JSON object.")
        for name in raw:
            if name in READONLY_FIELDS or name not in ENTRY_FIELDS:
                raise ApiError(400, "INVALID_ATTRIBUTE", "Invalid attribute %s specified." % name, parameters=[name])
        given = [f for f in ("awsSecurityGroup", "cidrBlock", "ipAddress") if raw.get(f) not in (None, "")]
        if len(given) > 1:
            if set(given) == {"cidrBlock", "ipAddress"}:
                raise ApiError(400, "MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY",
                               "Should not specify both the IP address and the CIDR block.")
            raise ApiError(400, "MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY",
                           "Specify only one of awsSecurityGroup, cidrBlock or ipAddress.")
        if not given:
            raise ApiError(400, "VALIDATION_ERROR", "An access list entry needs awsSecurityGroup, cidrBlock or ipAddress.")
        field = given[0]
        value = raw[field]
        if not isinstance(value, str):
            raise ApiError(400, "INVALID_ATTRIBUTE", "Invalid attribute %s specified." % field, parameters=[field])
        entry = {}
        if field == "awsSecurityGroup":
            if not SG_RE.match(value):
                raise ApiError(400, "INVALID_ATTRIBUTE", "Invalid security group %s." % value, parameters=[field])
            entry["awsSecurityGroup"] = value
        elif field == "ipAddress":
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                raise ApiError(400, "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
                               "The address %s must be in valid IP address or CIDR notation." % value,
                               parameters=[value])
            entry["ipAddress"] = _wire(address)
            entry["cidrBlock"] = _wire(ipaddress.ip_network(address))
        else:
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ApiError(400, "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
                               "The address %s must be in valid IP address or CIDR notation." % value,
                               parameters=[value])
            if int(network.network_address) != int(ipaddress.ip_interface(value).ip):
                # UNCONFIRMED in the notes whether Atlas normalises host bits; the stand-in is strict.
                raise ApiError(400, "INVALID_CIDR_BLOCK", "The CIDR block %s is not a valid network address "
                               "(did you mean %s?)." % (value, network), parameters=[value])
            entry["cidrBlock"] = _wire(network)
        comment = raw.get("comment")
        if comment is not None:
            if not isinstance(comment, str) or len(comment) > 80:
                raise ApiError(400, "INVALID_NETWORK_PERMISSION_COMMENT",
                               "The comment must be at most 80 characters.")
            entry["comment"] = comment
        if raw.get("deleteAfterDate") is not None:
            if field == "awsSecurityGroup":
                raise ApiError(400, "NETWORK_PERMISSION_EXPIRATION_NOT_SUPPORTED",
                               "AWS security group entries cannot be temporary.")
            expiry = _parse_date(raw["deleteAfterDate"])
            if expiry is None:
                raise ApiError(400, "INVALID_ATTRIBUTE", "Invalid attribute deleteAfterDate specified.",
                               parameters=["deleteAfterDate"])
            now = datetime.datetime.now(UTC)
            if expiry <= now:
                raise ApiError(400, "EXPIRATION_DATE_IN_PAST", "The expiration date must be in the future.")
            if expiry > now + datetime.timedelta(days=7, minutes=1):
                raise ApiError(400, "EXPIRATION_DATE_EXCEEDS_MAX",
                               "The expiration date must be at most one week in the future.")
            entry["deleteAfterDate"] = expiry.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return _entry_key(entry.get("awsSecurityGroup") or entry["cidrBlock"]), entry

    def _add_entries(self, project, _rest, _version):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype not in ("application/json",) and not MEDIA_RE.fullmatch(ctype):
            raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Content-Type %s." % (ctype or "(none)"))
        try:
            body = json.loads(self.request_body or b"null")
        except ValueError:
            raise ApiError(400, "MALFORMED_JSON", "Received JSON is malformed.")
        if not isinstance(body, list) or not body:
            raise ApiError(400, "INVALID_JSON", "The request body must be a JSON array of one or more entries.")
        parsed = [self._validate_entry(raw) for raw in body]
        keys = [key for key, _entry in parsed]
        if len(set(keys)) != len(keys):
            raise ApiError(400, "DUPLICATE_ADDRESSES_IN_INPUT", "Duplicate addresses in the request.")
        with self.state.lock:
            self._expire(project)
            entries = project["entries"]
            new = [k for k in keys if k not in entries]
            if len(entries) + len(new) > MAX_ENTRIES:
                raise ApiError(403, "ATLAS_NETWORK_PERMISSIONS_LIMIT_EXCEEDED",
                               "The project IP access list cannot have more than %d entries." % MAX_ENTRIES)
            for key, entry in parsed:
                existing = entries.get(key)
                if existing is not None:
                    if "deleteAfterDate" in entry and "deleteAfterDate" not in existing["entry"]:
                        raise ApiError(400, "PERMANENT_ENTITY_CANNOT_BE_MADE_TEMPORARY",
                                       "The permanent entry %s cannot be made temporary." % key)
            for key, entry in parsed:
                existing = entries.get(key)
                href = self._href("%s/groups/%s/accessList/%s" % (API, project["id"], quote(
                    entry.get("awsSecurityGroup") or entry.get("ipAddress") or entry["cidrBlock"], safe="")))
                if existing is None:
                    stored = dict(entry, groupId=project["id"], links=[{"href": href, "rel": "self"}])
                    entries[key] = {"entry": stored, "active_at": time.time() + self.state.cfg["pending_seconds"]}
                else:
                    if "comment" in entry:
                        existing["entry"]["comment"] = entry["comment"]
                    if "deleteAfterDate" in entry:
                        existing["entry"]["deleteAfterDate"] = entry["deleteAfterDate"]
        base = "%s/groups/%s/accessList" % (API, project["id"])
        return self._ok(200, self._page(self._entries(project), base))

    def _lookup(self, project, raw_value):
        value = unquote(raw_value)
        key = _entry_key(value)
        with self.state.lock:
            self._expire(project)
            item = project["entries"].get(key) if key else None
        if item is None:
            shown = key or value
            raise ApiError(404, "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND",
                           "IP Address %s not on Atlas access list for group %s." % (shown, project["id"]),
                           parameters=[shown, project["id"]])
        return key, item

    def _get_entry(self, project, rest, _version):
        _key, item = self._lookup(project, rest[1])
        return self._ok(200, copy.deepcopy(item["entry"]))

    def _entry_status(self, project, rest, _version):
        _key, item = self._lookup(project, rest[1])
        return self._ok(200, {"STATUS": "ACTIVE" if time.time() >= item["active_at"] else "PENDING"})

    def _delete_entry(self, project, rest, _version):
        key, _item = self._lookup(project, rest[1])
        with self.state.lock:
            project["entries"].pop(key, None)
        self._send(204, None, headers=self._rate_headers())
        return 204

    # clusters
    def _cluster_view(self, project, cluster):
        view = copy.deepcopy(cluster)
        view["links"] = [{"href": self._href("%s/groups/%s/clusters/%s" % (API, project["id"], cluster["name"])),
                          "rel": "self"}]
        return view

    def _list_clusters(self, project, _rest, _version):
        items = [self._cluster_view(project, c) for c in project["clusters"].values()]
        return self._ok(200, self._page(items, "%s/groups/%s/clusters" % (API, project["id"])))

    def _get_cluster(self, project, rest, _version):
        name = unquote(rest[1])
        cluster = project["clusters"].get(name)
        if cluster is None:
            raise ApiError(404, "CLUSTER_NOT_FOUND", "No cluster named %s exists in group %s." % (name, project["id"]),
                           parameters=[name, project["id"]])
        return self._ok(200, self._cluster_view(project, cluster))


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, cfg=None, request_log=None, verbose=False, record_exchanges=False):
        super().__init__(address, Handler)
        merged = dict(DEFAULTS)
        merged.update(cfg or {})
        self.state = State(merged)
        self.request_log = request_log
        self.log_lock = threading.Lock()
        self.verbose = verbose
        self.record_exchanges = record_exchanges
        self.exchanges = []
        self._local = threading.local()

    def current_request(self, handler):
        self._local.request = {
            "method": handler.command, "path": handler.path,
            "headers": dict(handler.headers.items()), "body": handler.request_body,
        }

    def exchanges_add(self, handler, status, payload, content_type, headers):
        """Keep (request, response) pairs for the contract test."""
        if not self.record_exchanges or not handler.path.startswith(API):
            return
        with self.log_lock:
            self.exchanges.append({
                "request": dict(self._local.request),
                "response": {"status": status, "body": payload, "content_type": content_type,
                             "headers": {k: str(v) for k, v in headers.items()}},
            })

    @property
    def url(self):
        host, port = self.server_address[:2]
        return "http://%s:%d" % (host, port)


def serve_in_thread(host="127.0.0.1", port=0, **kwargs):
    """Start a stand-in on a free port in a daemon thread (for tests). Call .shutdown() to stop."""
    server = StandInServer((host, port), **kwargs)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="atlas-standin", daemon=True)
    thread.start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEBSTACK_ATLAS_PORT", "5056")))
    parser.add_argument("--request-log", default=None, help="append one JSON line per API request here")
    for key, value in DEFAULTS.items():
        if key == "base_href":
            continue
        parser.add_argument("--" + key.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    cfg = dict((key, getattr(args, key)) for key in DEFAULTS if key != "base_href")
    if args.request_log:
        os.makedirs(os.path.dirname(os.path.abspath(args.request_log)), exist_ok=True)
    server = StandInServer((args.host, args.port), cfg=cfg, request_log=args.request_log, verbose=args.verbose)
    sys.stderr.write("atlas stand-in listening on %s (project %s)\n" % (server.url, cfg["project_id"]))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
