# -*- coding: utf-8 -*-
# Copyright: stackops.ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for the MongoDB Atlas Administration API v2.

One client for every Atlas module of this collection and for the access-list
sync Lambda. The HTTP core (:class:`AtlasClient`) is pure Python standard library
so it can be zipped next to the Lambda handler and imported without Ansible; the
Ansible glue (:func:`atlas_argument_spec`, :func:`client_from_module`) only uses
plain dictionaries and the module object handed to it.

What it implements (see the Atlas Admin API v2 contract notes):

* HTTP Digest with programmatic API keys (public key = user, private key =
  password, MD5, qop=auth), answering the server's challenge and reusing the
  nonce with an increasing nonce count;
* service accounts: OAuth2 client-credentials at ``/api/oauth/token``; the bearer
  token is reused until shortly before it expires, and fetched again once if
  Atlas rejects it;
* the versioned media type ``application/vnd.atlas.<date>+json`` in ``Accept``
  on every call (2023-01-01 unless the caller asks for another version);
* pagination followed to the end (``links[rel=next]``, ``totalCount`` as a
  fallback);
* retries with exponential backoff and jitter on 429 (never sooner than
  ``Retry-After``), 5xx and network errors; a timeout on every request;
* :class:`AtlasError` carrying Atlas's ``errorCode`` and ``detail`` plus a hint
  saying what to do (wrong keys, caller IP not on the API access list, unknown
  project).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import os
import random
import re
import time

try:  # Python 3
    from urllib.error import HTTPError, URLError
    from urllib.parse import quote, urlencode, urlsplit
    from urllib.request import Request, build_opener, HTTPRedirectHandler
except ImportError:  # pragma: no cover - Python 2 is not supported by this collection
    HTTPError = URLError = Exception
    quote = urlencode = urlsplit = Request = build_opener = HTTPRedirectHandler = None

import socket

try:
    from ansible.module_utils.basic import env_fallback
except ImportError:  # the Lambda function runs this file without Ansible
    env_fallback = None

DEFAULT_BASE_URL = "https://cloud.mongodb.com"
DEFAULT_API_VERSION = "2023-01-01"
CLUSTERS_API_VERSION = "2024-08-05"
API_PREFIX = "/api/atlas/v2"
TOKEN_PATH = "/api/oauth/token"
MEDIA_TYPE = "application/vnd.atlas.{0}+json"
USER_AGENT = "stackops.ecs_webstack-atlas-client/1.0"

RETRY_STATUSES = (429, 500, 502, 503, 504)
# A token is refreshed this many seconds before Atlas says it expires.
TOKEN_EXPIRY_MARGIN = 60

ENV_BASE_URL = "MONGODB_ATLAS_BASE_URL"
ENV_PUBLIC_KEY = "MONGODB_ATLAS_PUBLIC_KEY"
ENV_PRIVATE_KEY = "MONGODB_ATLAS_PRIVATE_KEY"
ENV_CLIENT_ID = "MONGODB_ATLAS_CLIENT_ID"
ENV_CLIENT_SECRET = "MONGODB_ATLAS_CLIENT_SECRET"

_ACCESS_LIST_CODES = (
    "ORG_REQUIRES_ACCESS_LIST",
    "IP_ADDRESS_NOT_ON_ACCESS_LIST",
    "ORG_REQUIRES_WHITELIST",
    "IP_ADDRESS_NOT_ON_WHITELIST",
)
_PROJECT_CODES = ("GROUP_NOT_FOUND", "INVALID_GROUP_ID", "NOT_IN_GROUP")


class AtlasError(Exception):
    """An Atlas API call failed. ``str()`` gives a message fit for a user."""

    def __init__(self, message, status=None, error_code=None, detail=None, hint=None,
                 method=None, path=None, parameters=None):
        super(AtlasError, self).__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.hint = hint
        self.method = method
        self.path = path
        self.parameters = parameters or []

    def __str__(self):
        parts = [self.message]
        if self.hint:
            parts.append(self.hint)
        return " ".join(parts)

    def to_dict(self):
        return {
            "status": self.status,
            "error_code": self.error_code,
            "detail": self.detail,
            "hint": self.hint,
            "method": self.method,
            "path": self.path,
        }


def _hint(status, error_code, parameters, project_id, auth_kind, detail=None):
    """What the user should do about an error, in one sentence or two."""
    code = error_code or ""
    if code in _ACCESS_LIST_CODES:
        caller = ""
        candidates = [detail or ""]
        for value in parameters or []:
            candidates.extend(value.values() if isinstance(value, dict) else [value])
        for value in candidates:
            match = re.search(r"\b(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F]*:[0-9a-fA-F:]+)\b", str(value))
            if match:
                caller = " (%s)" % match.group(1)
        return ("The caller's IP address%s is not on the API access list of these credentials: add it in "
                "Atlas under Organization Access Manager > Applications > API Keys or Service Accounts > "
                "API Access List, or run from an address that is on it." % caller)
    if code in _PROJECT_CODES or (status == 404 and code in ("RESOURCE_NOT_FOUND",) and project_id):
        return ("Check project_id%s: it must be the 24-hex-digit project ID shown in Atlas under Project "
                "Settings, and the credentials must belong to the organisation that owns the project."
                % (" %r" % project_id if project_id else ""))
    if code == "invalid_client":
        return ("The service account was rejected: check client_id/client_secret (env %s/%s) and that the "
                "secret has not expired." % (ENV_CLIENT_ID, ENV_CLIENT_SECRET))
    if status == 401:
        if auth_kind == "service_account":
            return ("Atlas rejected the service account token: check client_id/client_secret and that the "
                    "service account belongs to the organisation that owns the project.")
        return ("Atlas rejected the API key: check public_key/private_key (env %s/%s), that the key still "
                "exists and that it belongs to the organisation that owns the project." % (ENV_PUBLIC_KEY, ENV_PRIVATE_KEY))
    if status == 403:
        return ("The credentials lack a role for this call: reading needs Project Read Only, changing the IP "
                "access list needs Project Network Access Manager (or Project Owner).")
    if status == 429:
        return "Atlas kept rate-limiting the calls after the retries: wait a minute and run again."
    if status in (406, 410):
        return "Atlas refused the API version this client asks for; upgrade the stackops.ecs_webstack collection."
    if status is not None and status >= 500:
        return "Atlas had a server error after the retries; try again later or check https://status.mongodb.com."
    return None


def _md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # nosec - RFC 2617 Digest mandates MD5


def parse_challenge(header):
    """Parse ``WWW-Authenticate: Digest k=v, ...`` into a dict (keys lower-case)."""
    if not header:
        return None
    scheme, _sep, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params = {}
    for match in re.finditer(r'([A-Za-z_]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)', rest):
        key = match.group(1).lower()
        value = match.group(3) if match.group(3) is not None else match.group(2)
        params[key] = value
    return params


class DigestAuth:
    """HTTP Digest (RFC 2617/7616 with MD5, qop=auth) for Atlas programmatic API keys."""

    kind = "api_key"

    def __init__(self, username, password, cnonce_factory=None):
        self.username = username
        self.password = password
        self.challenge = None
        self.nonce_count = 0
        self._cnonce = cnonce_factory or (lambda: hashlib.sha256(os.urandom(16)).hexdigest()[:16])

    def header(self, method, uri):
        """Authorization header for a request, or None before the first challenge."""
        if not self.challenge:
            return None
        ch = self.challenge
        algorithm = (ch.get("algorithm") or "MD5").upper()
        if algorithm not in ("MD5", "MD5-SESS"):
            raise AtlasError("Atlas asked for Digest algorithm %s, which this client does not implement." % algorithm)
        self.nonce_count += 1
        nc = "%08x" % self.nonce_count
        cnonce = self._cnonce()
        realm = ch.get("realm", "")
        nonce = ch.get("nonce", "")
        ha1 = _md5("%s:%s:%s" % (self.username, realm, self.password))
        if algorithm == "MD5-SESS":
            ha1 = _md5("%s:%s:%s" % (ha1, nonce, cnonce))
        ha2 = _md5("%s:%s" % (method, uri))
        qops = [q.strip() for q in (ch.get("qop") or "").split(",") if q.strip()]
        fields = [
            ('username', self.username), ('realm', realm), ('nonce', nonce), ('uri', uri),
        ]
        if "auth" in qops:
            response = _md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, "auth", ha2))
            fields += [('response', response), ('algorithm', algorithm), ('qop', 'auth'),
                       ('nc', nc), ('cnonce', cnonce)]
        else:
            response = _md5("%s:%s:%s" % (ha1, nonce, ha2))
            fields += [('response', response), ('algorithm', algorithm)]
        if ch.get("opaque"):
            fields.append(('opaque', ch["opaque"]))
        unquoted = ("algorithm", "qop", "nc")
        return "Digest " + ", ".join(
            '%s=%s' % (k, v) if k in unquoted else '%s="%s"' % (k, v) for k, v in fields
        )

    def on_challenge(self, header):
        """Take a 401 challenge. True when it was a usable Digest challenge."""
        challenge = parse_challenge(header)
        if not challenge:
            return False
        self.challenge = challenge
        self.nonce_count = 0
        return True


class TokenAuth:
    """OAuth2 client-credentials for Atlas service accounts, token reused until it expires."""

    kind = "service_account"

    def __init__(self, client_id, client_secret, clock=None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock or time.time
        self.token = None
        self.expires_at = 0.0
        self.fetches = 0

    def valid(self):
        return bool(self.token) and self.clock() < self.expires_at - TOKEN_EXPIRY_MARGIN

    def invalidate(self):
        self.token = None
        self.expires_at = 0.0

    def basic(self):
        raw = ("%s:%s" % (self.client_id, self.client_secret)).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def accept(self, payload):
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not token:
            raise AtlasError("The Atlas token endpoint answered without an access_token.")
        try:
            lifetime = float(payload.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self.token = token
        self.expires_at = self.clock() + lifetime
        self.fetches += 1


class _NoRedirect(HTTPRedirectHandler):
    """Never follow redirects: they would drop or leak the Authorization header."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib API
        return None


def urllib_transport(method, url, headers, body, timeout):
    """Send one HTTP request with the standard library. Returns (status, headers, body bytes)."""
    request = Request(url, data=body, headers=headers, method=method)
    opener = build_opener(_NoRedirect())
    try:
        response = opener.open(request, timeout=timeout)
        try:
            return response.getcode(), dict((k.lower(), v) for k, v in response.headers.items()), response.read()
        finally:
            response.close()
    except HTTPError as err:
        data = err.read() if hasattr(err, "read") else b""
        hdrs = dict((k.lower(), v) for k, v in (err.headers.items() if err.headers else []))
        return err.code, hdrs, data


class TransportError(Exception):
    """A network-level failure (connection refused, reset, timeout)."""


def quote_entry(value):
    """URL-encode an access-list entry value for a path segment (``/`` becomes ``%2F``)."""
    return quote(str(value), safe="")


class AtlasClient:
    """Atlas Administration API v2 client (stdlib only).

    ``transport(method, url, headers, body, timeout) -> (status, headers, body)``,
    ``sleep`` and ``clock`` can be replaced in tests.
    """

    def __init__(self, base_url=None, public_key=None, private_key=None, client_id=None, client_secret=None,
                 timeout=30, max_retries=5, backoff_base=1.0, backoff_max=30.0, items_per_page=500,
                 transport=None, sleep=None, clock=None, project_id=None):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        if not re.match(r"^https?://", self.base_url):
            raise AtlasError("api_base_url %r must start with https:// (or http:// for a local stand-in)." % base_url)
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.items_per_page = items_per_page
        self.transport = urllib_transport if transport is None else transport
        self.sleep = time.sleep if sleep is None else sleep
        self.clock = time.time if clock is None else clock
        self.project_id = project_id
        self.calls = []  # (method, path, status) of every HTTP exchange, for debugging and tests
        if client_id or client_secret:
            if not (client_id and client_secret):
                raise AtlasError("Set both client_id and client_secret for a service account (one is missing).")
            self.auth = TokenAuth(client_id, client_secret, clock=self.clock)
        elif public_key or private_key:
            if not (public_key and private_key):
                raise AtlasError("Set both public_key and private_key for an API key (one is missing).")
            self.auth = DigestAuth(public_key, private_key)
        else:
            raise AtlasError(
                "No Atlas credentials: set public_key/private_key (env %s/%s) or client_id/client_secret "
                "(env %s/%s)." % (ENV_PUBLIC_KEY, ENV_PRIVATE_KEY, ENV_CLIENT_ID, ENV_CLIENT_SECRET))

    # ------------------------------------------------------------------ transport
    def _send(self, method, url, headers, body):
        try:
            status, hdrs, data = self.transport(method, url, headers, body, self.timeout)
        except (URLError, socket.timeout, OSError) as err:
            raise TransportError(str(getattr(err, "reason", err)))
        self.calls.append((method, urlsplit(url).path, status))
        return status, hdrs, data

    def _backoff(self, attempt, retry_after=None):
        delay = min(self.backoff_max, self.backoff_base * (2 ** attempt))
        delay = delay / 2.0 + random.uniform(0, delay / 2.0)  # nosec - jitter, not crypto
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    @staticmethod
    def _retry_after(headers):
        value = (headers or {}).get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            return None

    def _token(self):
        """Fetch a service-account token (with retries like any other call)."""
        auth = self.auth
        url = self.base_url + TOKEN_PATH
        headers = {
            "Authorization": auth.basic(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        body = b"grant_type=client_credentials"
        attempt = 0
        while True:
            try:
                status, hdrs, data = self._send("POST", url, headers, body)
            except TransportError as err:
                if attempt >= self.max_retries:
                    raise AtlasError("Cannot reach the Atlas token endpoint %s: %s" % (url, err), method="POST",
                                     path=TOKEN_PATH)
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if status in RETRY_STATUSES and attempt < self.max_retries:
                self.sleep(self._backoff(attempt, self._retry_after(hdrs)))
                attempt += 1
                continue
            payload = _json_or_none(data)
            if status == 200:
                auth.accept(payload)
                return
            code = (payload or {}).get("error") if isinstance(payload, dict) else None
            detail = (payload or {}).get("error_description") if isinstance(payload, dict) else None
            code = code if isinstance(code, str) else None
            message = "POST %s failed with HTTP %s%s%s." % (
                TOKEN_PATH, status, " " + code if code else "", ": " + detail.rstrip(".") if detail else "")
            raise AtlasError(
                message,
                status=status, error_code=code, detail=detail, method="POST", path=TOKEN_PATH,
                hint=_hint(status, code or ("invalid_client" if status in (400, 401) else None), [],
                           self.project_id, auth.kind))

    # ------------------------------------------------------------------ requests
    def request(self, method, path, params=None, body=None, version=None, ok=(200, 201, 202, 204)):
        """One API call. ``path`` is below ``/api/atlas/v2`` (already URL-encoded).

        Returns ``(status, parsed JSON or None)``; raises :class:`AtlasError` for any
        status not in ``ok``.
        """
        version = version or DEFAULT_API_VERSION
        full_path = API_PREFIX + path
        if params:
            full_path += "?" + urlencode([(k, _param(v)) for k, v in params.items() if v is not None])
        url = self.base_url + full_path
        data = None
        media = MEDIA_TYPE.format(version)
        base_headers = {"Accept": media, "User-Agent": USER_AGENT}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            base_headers["Content-Type"] = media
        attempt = 0
        auth_retry = False
        while True:
            headers = dict(base_headers)
            if isinstance(self.auth, TokenAuth):
                if not self.auth.valid():
                    self._token()
                headers["Authorization"] = "Bearer " + self.auth.token
            else:
                value = self.auth.header(method, full_path)
                if value:
                    headers["Authorization"] = value
            try:
                status, hdrs, raw = self._send(method, url, headers, data)
            except TransportError as err:
                if attempt >= self.max_retries:
                    raise AtlasError("Cannot reach Atlas at %s (%s %s): %s. Check api_base_url and the network."
                                     % (self.base_url, method, full_path, err), method=method, path=full_path)
                self.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if status == 401:
                had_auth = "Authorization" in headers
                if isinstance(self.auth, TokenAuth):
                    if not auth_retry:
                        # The token expired or was revoked early: fetch a new one, once.
                        self.auth.invalidate()
                        auth_retry = True
                        continue
                elif self.auth.on_challenge(hdrs.get("www-authenticate")):
                    if not had_auth:
                        continue  # the normal Digest round trip: challenge, then answer
                    if not auth_retry:
                        auth_retry = True  # stale or expired nonce: one more go with the new one
                        continue
            if status in RETRY_STATUSES and attempt < self.max_retries:
                self.sleep(self._backoff(attempt, self._retry_after(hdrs)))
                attempt += 1
                continue
            payload = _json_or_none(raw)
            if status in ok:
                return status, payload
            raise self._error(method, full_path, status, payload)

    def _error(self, method, path, status, payload):
        payload = payload if isinstance(payload, dict) else {}
        code = payload.get("errorCode")
        detail = payload.get("detail")
        parameters = payload.get("parameters") or []
        message = "Atlas API %s %s failed: HTTP %s%s%s." % (
            method, path.split("?")[0], status, " " + code if code else "",
            ": " + detail.rstrip(".") if detail else "")
        return AtlasError(message, status=status, error_code=code, detail=detail, method=method,
                          path=path.split("?")[0], parameters=parameters,
                          hint=_hint(status, code, parameters, self.project_id, self.auth.kind, detail))

    def get(self, path, params=None, version=None):
        return self.request("GET", path, params=params, version=version)[1]

    def get_all(self, path, params=None, version=None):
        """GET a paginated list and follow it to the last page. Returns the list of results."""
        results = []
        page = 1
        while True:
            query = dict(params or {})
            query.update({"pageNum": page, "itemsPerPage": self.items_per_page, "includeCount": True})
            payload = self.get(path, params=query, version=version) or {}
            batch = payload.get("results") or []
            results.extend(batch)
            links = [link for link in payload.get("links") or [] if isinstance(link, dict)]
            total = payload.get("totalCount")
            if any(link.get("rel") == "next" for link in links):
                page += 1
                continue
            if not links and batch and isinstance(total, int) and len(results) < total:
                page += 1  # no links at all: fall back on totalCount
                continue
            return results

    # ------------------------------------------------------------------ Atlas resources
    def get_project(self, project_id):
        return self.get("/groups/%s" % quote(project_id, safe=""))

    def list_access_list(self, project_id):
        return self.get_all("/groups/%s/accessList" % quote(project_id, safe=""))

    def add_access_list_entries(self, project_id, entries):
        """POST all entries in one request (upsert). Returns the list Atlas reports afterwards."""
        status, payload = self.request(
            "POST", "/groups/%s/accessList" % quote(project_id, safe=""), body=list(entries),
            params={"pageNum": 1, "itemsPerPage": self.items_per_page, "includeCount": True})
        return (payload or {}).get("results") or []

    def delete_access_list_entry(self, project_id, value, missing_ok=True):
        """DELETE one entry (value = IP, CIDR or security group). False when it was already gone."""
        try:
            self.request("DELETE", "/groups/%s/accessList/%s" % (quote(project_id, safe=""), quote_entry(value)))
        except AtlasError as err:
            if missing_ok and err.status == 404 and err.error_code == "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND":
                return False
            raise
        return True

    def access_list_entry_status(self, project_id, value):
        payload = self.get("/groups/%s/accessList/%s/status" % (quote(project_id, safe=""), quote_entry(value)))
        return (payload or {}).get("STATUS")

    def wait_access_list_active(self, project_id, values, timeout, interval=2.0):
        """Poll each entry's status until ACTIVE. Raises on FAILED or timeout."""
        deadline = self.clock() + timeout
        pending = list(values)
        while pending:
            still = []
            for value in pending:
                state = self.access_list_entry_status(project_id, value)
                if state == "FAILED":
                    raise AtlasError("Atlas could not apply access list entry %s (status FAILED)." % value,
                                     hint="Check the entry in the Atlas UI (Network Access) and try again.")
                if state != "ACTIVE":
                    still.append(value)
            pending = still
            if not pending:
                return
            if self.clock() >= deadline:
                raise AtlasError("Access list entries %s were still not ACTIVE after %ss." % (", ".join(pending), timeout),
                                 hint="Raise wait_timeout or set wait=false; Atlas applies entries asynchronously.")
            self.sleep(interval)

    def list_clusters(self, project_id):
        return self.get_all("/groups/%s/clusters" % quote(project_id, safe=""), version=CLUSTERS_API_VERSION)

    def get_cluster(self, project_id, name):
        return self.get("/groups/%s/clusters/%s" % (quote(project_id, safe=""), quote(name, safe="")),
                        version=CLUSTERS_API_VERSION)


def _param(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_or_none(data):
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except ValueError:
        return None


# ---------------------------------------------------------------------- Ansible glue
def atlas_argument_spec():
    """The common options (see the doc fragment ``stackops.ecs_webstack.atlas``)."""
    return dict(
        api_base_url=dict(type="str", fallback=(env_fallback, [ENV_BASE_URL]), default=DEFAULT_BASE_URL),
        public_key=dict(type="str", fallback=(env_fallback, [ENV_PUBLIC_KEY])),
        private_key=dict(type="str", no_log=True, fallback=(env_fallback, [ENV_PRIVATE_KEY])),
        client_id=dict(type="str", fallback=(env_fallback, [ENV_CLIENT_ID])),
        client_secret=dict(type="str", no_log=True, fallback=(env_fallback, [ENV_CLIENT_SECRET])),
        timeout=dict(type="int", default=30),
        max_retries=dict(type="int", default=5),
    )


def client_from_params(params, project_id=None, **kwargs):
    """Build a client from module parameters (or any dict with the same keys)."""
    return AtlasClient(
        base_url=params.get("api_base_url"),
        public_key=params.get("public_key"),
        private_key=params.get("private_key"),
        client_id=params.get("client_id"),
        client_secret=params.get("client_secret"),
        timeout=params.get("timeout") or 30,
        max_retries=5 if params.get("max_retries") is None else params.get("max_retries"),
        project_id=project_id,
        **kwargs
    )


def client_from_module(module, project_id=None):
    """Client for an AnsibleModule; fails the module with a readable message on bad settings."""
    try:
        return client_from_params(module.params, project_id=project_id)
    except AtlasError as err:
        module.fail_json(msg=str(err))


def fail_from_error(module, err, **result):
    """fail_json for an AtlasError (message, errorCode, detail and hint)."""
    module.fail_json(msg=str(err), error=err.to_dict(), **result)
