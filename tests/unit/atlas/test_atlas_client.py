"""The shared Atlas client: auth, media type, pagination, retries, errors (stand-in and fake transports)."""

from __future__ import annotations

import json

import pytest

from atlas_testlib import CLIENT_ID, CLIENT_SECRET, PRIVATE_KEY, PROJECT_ID, PUBLIC_KEY

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import atlas_client
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import (
    AtlasClient,
    AtlasError,
    DigestAuth,
    parse_challenge,
)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def digest_client(server, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return AtlasClient(base_url=server.url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, **kwargs)


def token_client(server, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return AtlasClient(base_url=server.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kwargs)


# ---------------------------------------------------------------- Digest
def test_digest_response_matches_rfc2617_example():
    auth = DigestAuth("Mufasa", "Circle Of Life", cnonce_factory=lambda: "0a4f113b")
    auth.on_challenge('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                      'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    header = auth.header("GET", "/dir/index.html")
    fields = parse_challenge(header)
    assert fields["response"] == "6629fae49393a05397450978507c4ef1"
    assert fields["nc"] == "00000001" and fields["qop"] == "auth"
    assert fields["opaque"] == "5ccc069c403ebaf9f0171e9517f40e41"
    assert parse_challenge(auth.header("GET", "/dir/index.html"))["nc"] == "00000002"


def test_digest_challenge_once_then_nonce_reused(standin):
    client = digest_client(standin)
    assert client.get_project(PROJECT_ID)["id"] == PROJECT_ID
    client.get_project(PROJECT_ID)
    statuses = [r["status"] for r in standin.requests()]
    assert statuses == [401, 200, 200]  # one challenge, then the cached nonce is reused


def test_digest_stale_nonce_is_answered_again(standin):
    import time

    client = digest_client(standin)
    standin.state.cfg["nonce_ttl"] = 0.3
    client.get_project(PROJECT_ID)
    time.sleep(0.4)  # the cached nonce is now stale
    standin.clear()
    assert client.get_project(PROJECT_ID)["id"] == PROJECT_ID
    assert [r["status"] for r in standin.requests()] == [401, 200]
    standin.state.cfg["nonce_ttl"] = 0.0  # every nonce stale at once: one retry, then an error (no loop)
    standin.clear()
    with pytest.raises(AtlasError):
        client.get_project(PROJECT_ID)
    assert len(standin.requests()) == 2


def test_wrong_private_key_fails_with_a_hint_and_no_secret(standin):
    client = AtlasClient(base_url=standin.url, public_key=PUBLIC_KEY, private_key="not-the-key", sleep=Sleeps())
    with pytest.raises(AtlasError) as err:
        client.list_access_list(PROJECT_ID)
    assert err.value.status == 401
    assert "public_key/private_key" in str(err.value)
    assert "not-the-key" not in str(err.value)
    assert len(standin.requests()) <= 3


# ---------------------------------------------------------------- service account
def test_token_is_reused_until_it_expires_then_refreshed(standin):
    now = [1000.0]
    client = token_client(standin, clock=lambda: now[0])
    client.get_project(PROJECT_ID)
    client.list_access_list(PROJECT_ID)
    assert len(standin.requests(kind="token")) == 1
    auth_headers = [ex["request"]["headers"].get("Authorization", "") for ex in standin.server.exchanges]
    assert all(h.startswith("Bearer ") for h in auth_headers) and len(set(auth_headers)) == 1
    now[0] += 3600 - atlas_client.TOKEN_EXPIRY_MARGIN + 1  # inside the safety margin: fetch a new one
    client.get_project(PROJECT_ID)
    assert len(standin.requests(kind="token")) == 2
    assert client.auth.fetches == 2


def test_token_revoked_early_is_fetched_again_once(standin):
    client = token_client(standin)
    client.get_project(PROJECT_ID)
    standin.state.tokens.clear()  # Atlas forgot the token before expires_in
    standin.clear()
    assert client.get_project(PROJECT_ID)["id"] == PROJECT_ID
    assert [(r["kind"], r["status"]) for r in standin.requests()] == [("auth", 401), ("token", 200), ("read", 200)]


def test_token_request_shape(standin):
    token_client(standin).get_project(PROJECT_ID)
    assert standin.requests(kind="token")[0]["method"] == "POST"


def test_wrong_client_secret_says_what_to_do(standin):
    client = AtlasClient(base_url=standin.url, client_id=CLIENT_ID, client_secret="nope", sleep=Sleeps())
    with pytest.raises(AtlasError) as err:
        client.get_project(PROJECT_ID)
    assert err.value.error_code == "invalid_client"
    assert "client_id/client_secret" in str(err.value)


# ---------------------------------------------------------------- media type, pagination
def test_versioned_accept_header_on_every_call(standin):
    client = digest_client(standin)
    client.add_access_list_entries(PROJECT_ID, [{"cidrBlock": "198.51.100.0/24"}])
    client.list_access_list(PROJECT_ID)
    client.delete_access_list_entry(PROJECT_ID, "198.51.100.0/24")
    client.get_cluster(PROJECT_ID, "webstack-local")
    accepts = [(ex["request"]["method"], ex["request"]["headers"]["Accept"]) for ex in standin.server.exchanges]
    assert len(accepts) == 5
    for method, accept in accepts:
        assert accept.startswith("application/vnd.atlas.") and accept.endswith("+json")
    assert accepts[-1][1] == "application/vnd.atlas.2024-08-05+json"
    assert {a for _m, a in accepts[:-1]} == {"application/vnd.atlas.2023-01-01+json"}


def test_pagination_follows_every_page(standin):
    client = digest_client(standin, items_per_page=2)
    cidrs = ["198.51.100.%d/32" % i for i in range(7)]
    client.add_access_list_entries(PROJECT_ID, [{"cidrBlock": c} for c in cidrs])
    standin.clear()
    entries = client.list_access_list(PROJECT_ID)
    assert sorted(e["cidrBlock"] for e in entries) == sorted(cidrs)
    pages = [r["query"] for r in standin.requests(kind="read")]
    assert [q.split("&")[0] for q in pages] == ["pageNum=1", "pageNum=2", "pageNum=3", "pageNum=4"]


def test_pagination_falls_back_on_total_count_without_links():
    pages = {1: ["a", "b"], 2: ["c", "d"], 3: ["e"]}
    seen = []

    def transport(method, url, headers, body, timeout):
        page = int(url.split("pageNum=")[1].split("&")[0])
        seen.append(page)
        results = [{"cidrBlock": "10.0.0.%d/32" % ord(x)} for x in pages[page]]
        return 200, {}, json.dumps({"results": results, "totalCount": 5}).encode()

    client = AtlasClient(base_url="https://atlas.invalid", client_id="i", client_secret="s", transport=transport)
    client.auth.accept({"access_token": "t", "expires_in": 3600})
    assert len(client.get_all("/groups/x/accessList")) == 5
    assert seen == [1, 2, 3]


# ---------------------------------------------------------------- retries, timeouts, errors
def test_429_is_retried_no_sooner_than_retry_after(standin):
    sleeps = Sleeps()
    client = digest_client(standin, sleep=sleeps)
    client.get_project(PROJECT_ID)
    standin.fault(status=429, count=2, retry_after=7)
    standin.clear()
    assert len(client.list_access_list(PROJECT_ID)) == 0
    assert [r["status"] for r in standin.requests()] == [429, 429, 200]
    assert len(sleeps) == 2 and all(s >= 7 for s in sleeps)


def test_5xx_is_retried_with_growing_backoff(standin):
    sleeps = Sleeps()
    client = digest_client(standin, sleep=sleeps, backoff_base=1.0)
    client.get_project(PROJECT_ID)
    standin.fault(status=500, count=3)
    standin.clear()
    client.list_access_list(PROJECT_ID)
    assert [r["status"] for r in standin.requests()] == [500, 500, 500, 200]
    assert len(sleeps) == 3
    assert sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0 and 2.0 <= sleeps[2] <= 4.0


def test_retries_give_up_with_atlas_error_code(standin):
    client = digest_client(standin, max_retries=2)
    client.get_project(PROJECT_ID)
    standin.fault(status=429, count=10, retry_after=1)
    with pytest.raises(AtlasError) as err:
        client.list_access_list(PROJECT_ID)
    assert err.value.status == 429 and err.value.error_code == "RATE_LIMITED"
    assert "rate-limiting" in str(err.value)


def test_timeout_is_retried(standin):
    sleeps = Sleeps()
    client = digest_client(standin, sleep=sleeps, timeout=0.3)
    client.get_project(PROJECT_ID)
    standin.fault(delay=1.0, count=1)
    assert client.list_access_list(PROJECT_ID) == []
    assert len(sleeps) == 1


def test_unreachable_atlas_error_names_the_url():
    client = AtlasClient(base_url="http://127.0.0.1:9", public_key="a", private_key="b", max_retries=1,
                         sleep=Sleeps(), timeout=1)
    with pytest.raises(AtlasError) as err:
        client.get_project(PROJECT_ID)
    assert "Cannot reach Atlas at http://127.0.0.1:9" in str(err.value)


def test_caller_ip_not_on_api_access_list_says_what_to_do(standin):
    import ipaddress

    standin.state.api_access_list = [ipaddress.ip_network("10.0.0.0/8")]
    with pytest.raises(AtlasError) as err:
        digest_client(standin).get_project(PROJECT_ID)
    assert err.value.status == 403 and err.value.error_code == "IP_ADDRESS_NOT_ON_ACCESS_LIST"
    assert "(127.0.0.1) is not on the API access list" in str(err.value)


def test_unknown_project_says_what_to_do(standin):
    client = AtlasClient(base_url=standin.url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY,
                         project_id="0123456789abcdef01234567")
    with pytest.raises(AtlasError) as err:
        client.list_access_list("0123456789abcdef01234567")
    assert err.value.error_code == "GROUP_NOT_FOUND"
    assert "Check project_id '0123456789abcdef01234567'" in str(err.value)


def test_delete_url_encodes_cidr_and_tolerates_missing(standin):
    client = digest_client(standin)
    client.add_access_list_entries(PROJECT_ID, [{"cidrBlock": "198.51.100.0/24"}, {"ipAddress": "192.0.2.1"}])
    standin.clear()
    assert client.delete_access_list_entry(PROJECT_ID, "198.51.100.0/24") is True
    assert client.delete_access_list_entry(PROJECT_ID, "192.0.2.1") is True
    assert client.delete_access_list_entry(PROJECT_ID, "198.51.100.0/24") is False
    paths = [r["path"] for r in standin.requests(method="DELETE")]
    assert paths[0].endswith("/accessList/198.51.100.0%2F24")
    assert paths[1].endswith("/accessList/192.0.2.1")
    assert [r["status"] for r in standin.requests(method="DELETE")] == [204, 204, 404]


def test_credentials_are_required():
    with pytest.raises(AtlasError) as err:
        AtlasClient(base_url="https://cloud.mongodb.com")
    assert "MONGODB_ATLAS_PUBLIC_KEY" in str(err.value)
    with pytest.raises(AtlasError):
        AtlasClient(public_key="only-public")


def test_http_core_imports_without_ansible(tmp_path):
    """The Lambda zips atlas_client.py alone: it must not need Ansible."""
    import subprocess
    import sys

    src = atlas_client.__file__
    code = ("import sys; sys.modules['ansible'] = None; sys.path.insert(0, %r); import atlas_client; "
            "print(atlas_client.AtlasClient.__name__, atlas_client.env_fallback)" % str(tmp_path))
    (tmp_path / "atlas_client.py").write_text(open(src, encoding="utf-8").read(), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "AtlasClient None"
