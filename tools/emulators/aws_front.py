#!/usr/bin/env python3
"""An adversarial front before moto: the emulated AWS as a busy real account answers.

    python tools/emulators/aws_front.py --port 5057 --upstream http://127.0.0.1:5055 \\
        --request-log .run/front-requests.jsonl [--config front.json]

moto answers every call at once, never throttles and is strongly consistent. A real account
that other tools and deploys share does neither, and a deploy that only ever met moto has never
run its retry and wait paths. This reverse proxy forwards every request to moto unchanged and,
by configuration, adds only failures AWS really produces, in AWS's own wire format, so that
unmodified botocore parses them exactly as it parses AWS's (and its retry handlers classify them
as they would AWS's). It is a model of AWS, never softer: it never answers in moto's place with
a success, it only refuses requests that AWS could refuse at that moment. With the default
configuration (everything off) it is a pure pass-through.

Throttling (``throttle``). AWS rate-limits each API per account and region (token buckets per
API action); a throttled call is refused before it is processed, and on a busy account the SDK
retries of one call are often refused several times in a row. The error per protocol, as AWS
sends it:

* JSON protocol (``X-Amz-Target``: ECS, ECR, CloudWatch Logs, Secrets Manager, Cloud Map,
  Application Auto Scaling, EventBridge, SSM): HTTP 400,
  ``{"__type":"ThrottlingException","message":"Rate exceeded"}`` (ECS API reference, Common
  Errors: ThrottlingException, "The request was denied due to request throttling", 400; the
  same code and text in the ECR, Logs, Secrets Manager, Cloud Map, Application Auto Scaling,
  EventBridge and SSM references). Content-Type echoes the request's JSON version (1.1 for all
  of these).
* EC2 query protocol: HTTP 503, ``<Response><Errors><Error><Code>RequestLimitExceeded</Code>
  <Message>Request limit exceeded.</Message>...<RequestID>`` (EC2 API reference, "Request
  throttling for the Amazon EC2 API": "If you exceed an API throttling limit, you get the
  RequestLimitExceeded error code"; EC2 error codes: RequestLimitExceeded, 503).
* AWS query protocol (IAM, STS, ElastiCache, ELBv2, Auto Scaling, ...): HTTP 400,
  ``<ErrorResponse xmlns="<service namespace>"><Error><Type>Sender</Type><Code>Throttling</Code>
  <Message>Rate exceeded</Message></Error><RequestId>`` (IAM/STS/ElastiCache/ELB/Auto Scaling
  API references, Common Errors: Throttling, "The request was denied due to request
  throttling", 400). The namespace is the service's XML namespace for the request's Version.
* Lambda (REST-JSON): HTTP 429, ``x-amzn-ErrorType: TooManyRequestsException``,
  ``{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`` (Lambda API
  reference, TooManyRequestsException: "The request throughput limit was exceeded", 429,
  Reason CallerRateLimitExceeded).
* Route 53 (REST-XML): HTTP 400, ``<ErrorResponse xmlns="https://route53.amazonaws.com/doc/
  2013-04-01/">...<Code>Throttling</Code><Message>Rate exceeded</Message>`` (Route 53 Developer
  Guide, "Quotas on API requests": "If you exceed ... Route 53 returns an HTTP 400 (Bad
  Request) error. The response header also includes a Code element with a value of Throttling
  and a Message element with a value of Rate exceeded").
* S3 is never throttled (out of scope: its SlowDown is per prefix and the stack barely uses
  S3), nor are other REST services or RPC-v2-CBOR requests whose throttle body this front does
  not model (the collection calls none of them; botocore 1.44 sends JSON, not CBOR, to every
  service the stack uses).

``{"throttle": {"<signing name or *>": {"every": N, "burst": B, "first": true}}}``: per service
(the SigV4 signing name of the credential scope; an entry for the service overrides ``*``),
``first`` starts a burst at the first request of each distinct operation, and every N-th request
of the service (all its requests counted, ``every: 0`` = never) starts one. A burst throttles
that request and the next B-1 requests of the same (service, action), i.e. the SDK's retries of
that call; other actions pass meanwhile. Defaults: every 0, burst 1, first false.

Eventual consistency (both windows are account-wide and measured from the latest event):

* ``iam_role_propagation_seconds``: IAM is eventually consistent ("Changes that I make are not
  always immediately visible", IAM User Guide, Troubleshooting); for a few seconds after
  CreateRole, Lambda CreateFunction / UpdateFunctionConfiguration with that role answers 400
  ``InvalidParameterValueException`` "The role defined for the function cannot be assumed by
  Lambda." (what Lambda says until the role has propagated to it).
* ``eni_linger_seconds``: ECS awsvpc tasks, ElastiCache nodes, NAT gateways, load balancers and
  Lambda VPC functions own ENIs that AWS releases asynchronously, minutes after the delete call
  returned (ECS: the task's ENI is detached after the task stops; Lambda: Hyperplane ENIs are
  removed up to ~20 minutes after the function; NAT gateways stay "deleting" with their Elastic
  IP mapped). Meanwhile EC2 DeleteSecurityGroup, DeleteSubnet and DeleteVpc answer
  DependencyViolation (400, EC2 error format; "resource sg-... has a dependent object", "The
  subnet 'subnet-...' has dependencies and cannot be deleted.", "The vpc 'vpc-...' has
  dependencies and cannot be deleted."), and after DeleteNatGateway DetachInternetGateway
  answers DependencyViolation "Network vpc-... has some mapped public address(es). Please unmap
  those public address(es) before detaching the gateway.". The windows start on a successful
  (2xx) upstream answer of ECS DeleteService, UpdateService with desiredCount 0, StopTask,
  ElastiCache DeleteReplicationGroup/DeleteCacheCluster, EC2 DeleteNatGateway, ELB
  DeleteLoadBalancer and Lambda DeleteFunction. Events are recorded even while a window is 0,
  so enabling it later measures from the real event.

Control endpoints (never forwarded, never logged): ``GET /_front/health`` -> ``{"ok": true}``;
``GET /_front/config``; ``POST /_front/config`` (a JSON config, validated; it replaces the whole
config, missing keys are off, and restarts the throttle counters); ``POST /_front/reset`` (clears
throttle counters and consistency events and truncates the request log; the config stays).
Requests under ``/moto-api/`` are forwarded untouched, never faulted nor logged. A refused config
is a 400 ``{"ok": false, "message": ...}`` naming the key. When moto cannot be reached the front
answers 502 (text/plain), logged as forwarded: an outage of the emulator, not an AWS behaviour.

Everything else is passed through as moto sent it (status, reason, headers, body), except the
hop-by-hop headers (moto's werkzeug closes every connection; the front keeps the client's alive
and reconnects to moto per request when it must).

Request log: one JSON line per AWS request: ts, service, region (both from the credential
scope), action (X-Amz-Target suffix, query/form Action, for REST the operation whose botocore
request URI matches, else "METHOD path"), method, path, status and outcome (``forwarded``,
``throttled`` or ``consistency``).
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import re
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

DEFAULT_CONFIG = {"throttle": {}, "iam_role_propagation_seconds": 0, "eni_linger_seconds": 0}
THROTTLE_DEFAULTS = {"every": 0, "burst": 1, "first": False}
SERVICE_RE = re.compile(r"^(?:\*|[a-z0-9][a-z0-9.-]*)$")
_SCOPE_RE = re.compile(r"Credential=[^/,]+/\d{8}/([^/,]+)/([^/,]+)/aws4_request")
_QUERY_SCOPE_RE = re.compile(r"^[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request$")
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
}
UPSTREAM_TIMEOUT = 300.0

# Protocols whose throttle error this front models (see the module docstring).
THROTTLED_PROTOCOLS = ("json", "ec2", "query", "rest-json", "rest-xml")
# XML namespaces of the query services' errors: <scheme>://<host>.amazonaws.com/doc/<Version>/.
QUERY_HTTPS = {"iam", "sts"}
QUERY_HOST = {"sqs": "queue"}
ROUTE53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"

# (service, action) whose success starts the ENI window; the NAT gateway one also the IGW window.
ENI_RELEASES = {
    ("ecs", "DeleteService"), ("ecs", "StopTask"),
    ("elasticache", "DeleteReplicationGroup"), ("elasticache", "DeleteCacheCluster"),
    ("ec2", "DeleteNatGateway"), ("elasticloadbalancing", "DeleteLoadBalancer"),
    ("lambda", "DeleteFunction"),
}
ENI_BLOCKED = {"DeleteSecurityGroup", "DeleteSubnet", "DeleteVpc"}
ROLE_USERS = {"CreateFunction", "UpdateFunctionConfiguration"}
ROLE_MESSAGE = "The role defined for the function cannot be assumed by Lambda."


class ConfigError(ValueError):
    """A config the front refuses; the message says which key and why."""


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{name} must be a number >= 0 (seconds; 0 = off), got {value!r}")
    return value


def validate_config(raw):
    """Return the complete config for ``raw`` (missing keys off) or raise ConfigError."""
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a JSON object")
    unknown = sorted(set(raw) - set(DEFAULT_CONFIG))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(DEFAULT_CONFIG))}")
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    for key in ("iam_role_propagation_seconds", "eni_linger_seconds"):
        if key in raw:
            cfg[key] = _number(raw[key], key)
    throttle = raw.get("throttle", {})
    if not isinstance(throttle, dict):
        raise ConfigError("throttle must be an object: {\"<signing name or *>\": {\"every\", \"burst\", \"first\"}}")
    for service, rule in throttle.items():
        where = f"throttle[{service!r}]"
        if not isinstance(service, str) or not SERVICE_RE.match(service):
            raise ConfigError(f"{where}: a service is a SigV4 signing name such as 'ecs' or 'ec2', or '*'")
        if service == "s3":
            raise ConfigError(f"{where}: s3 is never throttled by this front")
        if not isinstance(rule, dict):
            raise ConfigError(f"{where} must be an object with every, burst, first")
        bad = sorted(set(rule) - set(THROTTLE_DEFAULTS))
        if bad:
            raise ConfigError(f"{where}: unknown key {bad[0]!r}; allowed: burst, every, first")
        merged = dict(THROTTLE_DEFAULTS, **rule)
        for key, low in (("every", 0), ("burst", 1)):
            value = merged[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{where}.{key} must be an integer >= {low}, got {value!r}")
        if not isinstance(merged["first"], bool):
            raise ConfigError(f"{where}.first must be true or false, got {merged['first']!r}")
        cfg["throttle"][service] = merged
    return cfg


# ------------------------------------------------------------------ REST operation names
_REST_OPS: dict = {}
_REST_LOCK = threading.Lock()


def _compile_rest_ops(service):
    """(method, regex, required query, specificity, name) per operation of a REST service."""
    try:
        import botocore.loaders

        model = botocore.loaders.Loader().load_service_model(service, "service-2")
    except Exception:  # noqa: BLE001 - unknown to botocore: no names, "METHOD path" instead
        return []
    ops = []
    for name, op in model.get("operations", {}).items():
        binding = op.get("http") or {}
        uri = binding.get("requestUri", "")
        if not uri.startswith("/"):
            continue
        path, _sep, query = uri.partition("?")
        if len(path) > 1:
            path = path.rstrip("/")  # botocore sends "/2015-03-31/functions/" without its slash
        pattern, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                pattern += ".+" if part.endswith("+}") else "[^/]+"
            else:
                pattern += re.escape(part)
                literal += len(part)
        required = [item.partition("=") for item in query.split("&") if item]
        ops.append((binding.get("method", "GET"), re.compile("^" + pattern + "/?$"), required,
                    (len(required), literal), name))
    return ops


def rest_action(service, method, path, query):
    """The botocore operation name of a REST request, or ''."""
    with _REST_LOCK:
        ops = _REST_OPS.get(service)
        if ops is None:
            ops = _REST_OPS[service] = _compile_rest_ops(service)
    params = None
    best = None
    for op_method, regex, required, rank, name in ops:
        if op_method != method or not regex.match(path):
            continue
        if required:
            if params is None:
                params = parse_qs(query, keep_blank_values=True)
            if not all(key in params and (not sep or value in params[key]) for key, sep, value in required):
                continue
        if best is None or rank > best[0]:
            best = (rank, name)
    return best[1] if best else ""


# ------------------------------------------------------------------ one AWS request
class Call:
    """What the front needs to know of one AWS request."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.path, _sep, self.query = target.partition("?")  # not urlsplit: "//key" is a path, not a host
        self.headers = headers
        self.body = body
        self.region, self.service = "", ""
        match = _SCOPE_RE.search(headers.get("Authorization", ""))
        if match:
            self.region, self.service = match.group(1), match.group(2)
        elif "X-Amz-Credential" in self.query:
            scope = parse_qs(self.query).get("X-Amz-Credential", [""])[0]
            match = _QUERY_SCOPE_RE.match(scope)
            if match:
                self.region, self.service = match.group(1), match.group(2)
        self._form = None
        self._json = None
        target_header = headers.get("X-Amz-Target", "")
        if self.service == "s3":
            self.protocol = "s3"
        elif headers.get("Smithy-Protocol"):
            self.protocol = "rpc-v2-cbor"
        elif target_header:
            self.protocol = "json"
        elif self.service == "ec2":
            self.protocol = "ec2"
        elif self.param("Action"):
            self.protocol = "query"
        elif self.service == "lambda":
            self.protocol = "rest-json"
        elif self.service == "route53":
            self.protocol = "rest-xml"
        else:
            self.protocol = "rest"
        if self.protocol == "json":
            self.action = target_header.rsplit(".", 1)[-1]
        elif self.protocol in ("ec2", "query"):
            self.action = self.param("Action")
        elif self.protocol == "rpc-v2-cbor" and "/operation/" in self.path:
            self.action = self.path.rsplit("/operation/", 1)[1]
        else:
            self.action = rest_action(self.service, method, self.path, self.query) if self.service else ""
        if not self.action:
            self.action = f"{method} {self.path}"

    def param(self, name):
        """A query-protocol parameter, from the query string or the form body."""
        if self._form is None:
            form = parse_qs(self.query, keep_blank_values=True)
            if self.body and "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
                for key, values in parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True).items():
                    form.setdefault(key, []).extend(values)
            self._form = form
        values = self._form.get(name)
        return values[0] if values else ""

    def json_body(self):
        if self._json is None:
            try:
                loaded = json.loads(self.body or b"{}")
            except ValueError:
                loaded = {}
            self._json = loaded if isinstance(loaded, dict) else {}
        return self._json


# ------------------------------------------------------------------ AWS's error answers
def _request_id():
    return str(uuid.uuid4())


def ec2_error(code, message, status=400):
    """EC2's error document (EC2 API reference, "Error codes": Response/Errors/Error + RequestID)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>%s</Code><Message>%s</Message>'
        "</Error></Errors><RequestID>%s</RequestID></Response>" % (escape(code), escape(message), _request_id())
    )
    return status, [("Content-Type", "text/xml")], body.encode("utf-8")


def _xml_error_response(namespace, code, message, status=400):
    request_id = _request_id()
    body = (
        '<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>'
        "<RequestId>%s</RequestId></ErrorResponse>" % (escape(namespace, {'"': "&quot;"}), escape(code),
                                                       escape(message), request_id)
    )
    return status, [("x-amzn-RequestId", request_id), ("Content-Type", "text/xml")], body.encode("utf-8")


def query_namespace(service, version):
    """The XML namespace of a query service's answers (botocore's ``xmlNamespace`` metadata)."""
    scheme = "https" if service in QUERY_HTTPS else "http"
    base = "%s://%s.amazonaws.com/doc/" % (scheme, QUERY_HOST.get(service, service))
    return base + version + "/" if version else base


def _rest_json_error(status, error_type, payload):
    request_id = _request_id()
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", error_type),
               ("Content-Type", "application/json")]
    return status, headers, json.dumps(payload, separators=(",", ":")).encode("utf-8")


def throttle_error(call):
    """AWS's throttling answer for the request's protocol: (status, headers, body)."""
    if call.protocol == "json":
        content_type = call.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-amz-json-"):
            content_type = "application/x-amz-json-1.1"
        body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
        return 400, [("x-amzn-RequestId", _request_id()), ("Content-Type", content_type)], body
    if call.protocol == "ec2":
        return ec2_error("RequestLimitExceeded", "Request limit exceeded.", status=503)
    if call.protocol == "query":
        return _xml_error_response(query_namespace(call.service, call.param("Version")), "Throttling", "Rate exceeded")
    if call.protocol == "rest-json":
        return _rest_json_error(429, "TooManyRequestsException",
                                {"Type": "User", "message": "Rate exceeded", "Reason": "CallerRateLimitExceeded"})
    if call.protocol == "rest-xml":
        return _xml_error_response(ROUTE53_NS, "Throttling", "Rate exceeded")
    raise ValueError(f"no throttle format for protocol {call.protocol}")


# ------------------------------------------------------------------ the front's state
class Front:
    """Config, throttle counters and consistency events. One lock guards them."""

    def __init__(self, config=None, request_log=None):
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.request_log = request_log
        self.config = validate_config(config or {})
        self._clear_counters()
        self._clear_events()

    def _clear_counters(self):
        self.counts = {}  # service -> requests seen
        self.seen = {}  # service -> actions seen
        self.bursts = {}  # (service, action) -> throttles still to give
        self.released = set()  # (service, action) whose burst just ended: its next attempt passes

    def _clear_events(self):
        self.roles = {}  # role name -> monotonic time of its CreateRole
        self.eni_release = None
        self.nat_delete = None

    def set_config(self, raw):
        cfg = validate_config(raw)
        with self.lock:
            self.config = cfg
            self._clear_counters()
        return cfg

    def get_config(self):
        with self.lock:
            return copy.deepcopy(self.config)

    def reset(self):
        with self.lock:
            self._clear_counters()
            self._clear_events()
        if self.request_log:
            with self.log_lock, open(self.request_log, "w", encoding="utf-8"):
                pass

    # -------------------------------------------------------------- decisions
    def decide(self, call):
        """A fault to answer instead of forwarding: (status, headers, body, outcome), or None."""
        with self.lock:
            cfg = self.config
            if call.service and call.protocol in THROTTLED_PROTOCOLS and self._throttled(call, cfg["throttle"]):
                return throttle_error(call) + ("throttled",)
            fault = self._consistency(call, cfg, time.monotonic())
        return fault + ("consistency",) if fault else None

    def _throttled(self, call, rules):
        service, action = call.service, call.action
        count = self.counts[service] = self.counts.get(service, 0) + 1
        seen = self.seen.setdefault(service, set())
        first_time = action not in seen
        seen.add(action)
        rule = rules[service] if service in rules else rules.get("*")
        if not rule:
            return False
        key = (service, action)
        if self.bursts.get(key):
            self.bursts[key] -= 1
            if not self.bursts[key]:
                self.released.add(key)
            return True
        if key in self.released:
            # The attempt after a burst gets through, as the SDK's next retry does once the bucket
            # refills; without this a periodic burst could start again on it and never end.
            self.released.discard(key)
            return False
        if (rule["first"] and first_time) or (rule["every"] and count % rule["every"] == 0):
            self.bursts[key] = rule["burst"] - 1
            if not self.bursts[key]:
                self.released.add(key)
            return True
        return False

    def _consistency(self, call, cfg, now):
        eni = cfg["eni_linger_seconds"]
        if call.service == "ec2" and eni:
            if call.action in ENI_BLOCKED and self.eni_release is not None and now - self.eni_release < eni:
                if call.action == "DeleteSecurityGroup":
                    group = call.param("GroupId") or call.param("GroupName")
                    return ec2_error("DependencyViolation", f"resource {group} has a dependent object")
                if call.action == "DeleteSubnet":
                    return ec2_error("DependencyViolation",
                                     f"The subnet '{call.param('SubnetId')}' has dependencies and cannot be deleted.")
                return ec2_error("DependencyViolation",
                                 f"The vpc '{call.param('VpcId')}' has dependencies and cannot be deleted.")
            if call.action == "DetachInternetGateway" and self.nat_delete is not None and now - self.nat_delete < eni:
                return ec2_error(
                    "DependencyViolation",
                    f"Network {call.param('VpcId')} has some mapped public address(es). "
                    "Please unmap those public address(es) before detaching the gateway.",
                )
        propagation = cfg["iam_role_propagation_seconds"]
        if call.service == "lambda" and propagation and call.action in ROLE_USERS and self.roles:
            role = call.json_body().get("Role")
            if isinstance(role, str) and ":role/" in role:
                created = self.roles.get(role.split(":role/", 1)[1].rsplit("/", 1)[-1])
                if created is not None and now - created < propagation:
                    return _rest_json_error(400, "InvalidParameterValueException",
                                            {"Type": "User", "message": ROLE_MESSAGE})
        return None

    def observe(self, call, status):
        """Record the consistency events of a forwarded request's answer."""
        if not 200 <= status < 300:
            return
        key = (call.service, call.action)
        event = None
        if key == ("iam", "CreateRole"):
            event = "role"
        elif key in ENI_RELEASES:
            event = "nat" if key == ("ec2", "DeleteNatGateway") else "eni"
        elif key == ("ecs", "UpdateService") and call.json_body().get("desiredCount") == 0:
            event = "eni"
        if event is None:
            return
        now = time.monotonic()
        with self.lock:
            if event == "role":
                self.roles[call.param("RoleName")] = now
            else:
                self.eni_release = now
                if event == "nat":
                    self.nat_delete = now

    def log(self, call, status, outcome):
        if not self.request_log:
            return
        record = {"ts": round(time.time(), 3), "service": call.service, "region": call.region,
                  "action": call.action, "method": call.method, "path": call.path,
                  "status": status, "outcome": outcome}
        line = json.dumps(record) + "\n"
        with self.log_lock, open(self.request_log, "a", encoding="utf-8") as handle:
            handle.write(line)


# ------------------------------------------------------------------ HTTP
class Handler(BaseHTTPRequestHandler):
    server_version = "AwsFront/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave in one write anyway; no 40 ms delayed-ACK stalls
    _upstream = None  # this connection's (this thread's) keep-alive connection to moto

    def log_message(self, fmt, *args):  # quiet; the request log is the record
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def finish(self):
        try:
            super().finish()
        finally:
            if self._upstream is not None:
                self._upstream.close()
                self._upstream = None

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self):
        path = self.path.partition("?")[0]
        if path.startswith("/_front/"):
            self._control(path)
            return
        body = self._read_body()
        if path.startswith("/moto-api/"):
            self._send(*self._forward(body))
            return
        front = self.server.front
        call = Call(self.command, self.path, self.headers, body)
        fault = front.decide(call)
        if fault:
            status, headers, data, outcome = fault
            reason = None
        else:
            status, reason, headers, data = self._forward(body)
            outcome = "forwarded"
            front.observe(call, status)
        # Logged before the answer leaves, so a client never sees an answer that is not logged yet.
        front.log(call, status, outcome)
        self._send(status, reason, headers, data)

    # -------------------------------------------------------------- upstream
    def _forward(self, body):
        """Send this request to moto; (status, reason, headers, body) of its answer."""
        server = self.server
        for attempt in (1, 2):
            conn = self._upstream
            if conn is None:
                conn = self._upstream = http.client.HTTPConnection(server.upstream_host, server.upstream_port,
                                                                   timeout=UPSTREAM_TIMEOUT)
            reused = conn.sock is not None
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                has_host = False
                for key, value in self.headers.items():
                    lower = key.lower()
                    if lower in HOP_BY_HOP or lower in ("content-length", "expect"):
                        continue
                    has_host = has_host or lower == "host"
                    conn.putheader(key, value)
                if not has_host:
                    conn.putheader("Host", "%s:%d" % (server.upstream_host, server.upstream_port))
                if body or "Content-Length" in self.headers or self.command in ("POST", "PUT", "PATCH"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body or None)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as err:
                conn.close()
                self._upstream = None
                if reused and attempt == 1:
                    continue  # moto closed an idle keep-alive connection: once more on a new one
                return self._bad_gateway(err)
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                self._upstream = None
                return self._bad_gateway(err)
            headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            if not any(k.lower() == "content-length" for k, _v in headers) and response.status not in (204, 304) \
                    and response.status >= 200 and self.command != "HEAD":
                headers.append(("Content-Length", str(len(data))))
            return response.status, response.reason, headers, data
        raise AssertionError("unreachable")

    def _bad_gateway(self, err):
        data = ("aws_front: upstream %s unreachable: %s\n" % (self.server.upstream, err)).encode("utf-8")
        return 502, None, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))], data

    # -------------------------------------------------------------- answers
    def _send(self, status, reason, headers, data):
        self.send_response_only(status, reason or _reason(status))
        names = set()
        for key, value in headers:
            names.add(key.lower())
            self.send_header(key, value)
        if "content-length" not in names and not (self.command == "HEAD" or status in (204, 304) or status < 200):
            self.send_header("Content-Length", str(len(data)))
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        if self.close_connection:
            self.send_header("Connection", "close")
        self._headers_buffer.append(b"\r\n")
        if data and self.command != "HEAD" and status not in (204, 304):
            self._headers_buffer.append(data)
        self.flush_headers()

    def _send_json(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self._send(status, None, [("Content-Type", "application/json")], data)

    def _control(self, path):
        front = self.server.front
        body = self._read_body()
        if path == "/_front/health" and self.command == "GET":
            self._send_json(200, {"ok": True})
        elif path == "/_front/config" and self.command == "GET":
            self._send_json(200, front.get_config())
        elif path == "/_front/config" and self.command == "POST":
            try:
                cfg = front.set_config(json.loads(body or b"null"))
            except ValueError as err:  # ConfigError, or a body that is not JSON
                self._send_json(400, {"ok": False, "message": str(err)})
                return
            self._send_json(200, cfg)
        elif path == "/_front/reset" and self.command == "POST":
            front.reset()
            self._send_json(200, {"ok": True})
        elif path in ("/_front/health", "/_front/config", "/_front/reset"):
            self._send_json(405, {"ok": False, "message": f"{self.command} not allowed on {path}"})
        else:
            self._send_json(404, {"ok": False, "message": f"no control endpoint {path}; use /_front/health, "
                                                          "/_front/config or /_front/reset"})


def _reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, upstream, request_log=None, config=None, verbose=False):
        split = urlsplit(upstream)
        if split.scheme != "http" or not split.hostname:
            raise ValueError(f"--upstream must be http://host:port, got {upstream!r}")
        self.upstream = upstream
        self.upstream_host = split.hostname
        self.upstream_port = split.port or 80
        self.front = Front(config, request_log)
        self.verbose = verbose
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def url(self):
        host, port = self.server_address[:2]
        return "http://%s:%d" % (host, port)


def serve_in_thread(port=0, **kwargs):
    """Start a front on a free port in a daemon thread (for tests). Call .shutdown() to stop."""
    server = FrontServer(port, **kwargs)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="aws-front", daemon=True)
    thread.start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEBSTACK_FRONT_PORT") or "5057"))
    parser.add_argument("--upstream", default="http://127.0.0.1:%s" % os.environ.get("WEBSTACK_MOTO_PORT", "5055"),
                        help="moto's URL, http://127.0.0.1:PORT")
    parser.add_argument("--request-log", default=None, help="append one JSON line per AWS request here")
    parser.add_argument("--config", default=None, help="a JSON config file (default: everything off)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    config = None
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            config = json.load(handle)
        try:
            validate_config(config)
        except ConfigError as err:
            raise SystemExit(f"{args.config}: {err}") from None
    if args.request_log:
        os.makedirs(os.path.dirname(os.path.abspath(args.request_log)), exist_ok=True)
    server = FrontServer(args.port, args.upstream, request_log=args.request_log, config=config, verbose=args.verbose)
    sys.stderr.write("aws front listening on %s, upstream %s\n" % (server.url, args.upstream))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
