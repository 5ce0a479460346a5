"""Contract test: the stand-in's real requests and responses, validated with openapi-core against
the Atlas Admin API v2 subset (tests/contracts/atlas-admin-v2.subset.yaml).

The exchanges come from driving the stand-in with the collection's own client (the same calls the
modules and the Lambda make), plus error cases. Every request and every response must match the
spec; a drift in either the client or the stand-in fails here.
"""

from __future__ import annotations

import filecmp
import json
import os
import warnings

import pytest

from atlas_testlib import CONTRACT, PROJECT_ID, PUBLIC_KEY, PRIVATE_KEY, SHARED_CONTRACT

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_client import AtlasClient, AtlasError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.atlas_entries import normalize_entries

from openapi_core import Config, OpenAPI  # noqa: E402
from openapi_core.exceptions import OpenAPIError  # noqa: E402
from openapi_core.deserializing.media_types.util import json_loads  # noqa: E402
from openapi_core.testing import MockRequest, MockResponse  # noqa: E402

SPEC_SERVER = "https://cloud.mongodb.com"
VERSIONS = ("2023-01-01", "2023-02-01", "2024-08-05")
# 400s for requests the schema allows but Atlas refuses (ATLAS-NOTES.md section 5)
SEMANTIC_400 = {"INVALID_CIDR_BLOCK", "MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY",
                "DUPLICATE_ADDRESSES_IN_INPUT", "EXPIRATION_DATE_IN_PAST", "EXPIRATION_DATE_EXCEEDS_MAX",
                "PERMANENT_ENTITY_CANNOT_BE_MADE_TEMPORARY", "INVALID_IP_ADDRESS_OR_CIDR_NOTATION"}


@pytest.fixture(scope="module")
def spec():
    config = Config(extra_media_type_deserializers={
        "application/vnd.atlas.%s+json" % v: json_loads for v in VERSIONS})
    return OpenAPI.from_file_path(CONTRACT, config=config)


def _mock_request(exchange):
    req = exchange["request"]
    path, _sep, query = req["path"].partition("?")
    args = {}
    for pair in query.split("&") if query else []:
        key, _eq, value = pair.partition("=")
        args[key] = value
    body = req["body"] or None
    return MockRequest(SPEC_SERVER, req["method"].lower(), path, args=args, headers=req["headers"],
                       data=body.decode("utf-8") if body else None,
                       content_type=req["headers"].get("Content-Type"))


def _mock_response(exchange):
    res = exchange["response"]
    data = json.dumps(res["body"]) if res["body"] is not None else b""
    return MockResponse(data, status_code=res["status"], headers=res["headers"], content_type=res["content_type"])


def validate(spec, exchanges):
    """Validate every exchange; returns the (method, path template-ish, status) triples seen."""
    seen = []
    for exchange in exchanges:
        request = _mock_request(exchange)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # oauth2 security scheme: "Unsupported scheme type"
            status = exchange["response"]["status"]
            try:
                spec.validate_request(request)
            except OpenAPIError:
                # a request the spec forbids must be refused by the stand-in, never accepted
                assert status == 400, exchange
            else:
                assert status != 400 or exchange["response"]["body"]["errorCode"] in SEMANTIC_400, exchange
            if status == 204:  # noqa: SIM114
                # 204 declares a media type without a schema: there must be no body at all
                assert exchange["response"]["body"] is None
                result = spec.unmarshal_request(request)
                assert result.errors == []
            else:
                spec.validate_response(request, _mock_response(exchange))
        auth = exchange["request"]["headers"].get("Authorization", "")
        if status != 401:
            assert auth.startswith(("Digest ", "Bearer ")), exchange["request"]
        seen.append((exchange["request"]["method"], status))
    return seen


def drive(standin, client):
    """The calls the collection makes, with success and error answers."""
    pid = PROJECT_ID
    client.get_project(pid)
    client.list_access_list(pid)
    # payloads built exactly as the modules and the Lambda build them
    client.add_access_list_entries(pid, [n["payload"] for n in normalize_entries([
        {"ip_address": "203.0.113.10", "comment": "managed-by:stackops.ecs_webstack:webstack-local"},
        {"cidr_block": "198.51.100.0/24"},
        {"ip_address": "2001:db8::7", "comment": "v6"},
        {"cidr_block": "2001:db8:1::/48"},
        {"aws_security_group": "sg-0123abcd"},
        {"cidr_block": "192.0.2.0/28", "delete_after_date": _soon()},
    ])])
    client.add_access_list_entries(pid, [{"ipAddress": "203.0.113.10", "comment": "changed"}])
    client.list_access_list(pid)
    client.access_list_entry_status(pid, "198.51.100.0/24")
    client.get("/groups/%s/accessList/%s" % (pid, "198.51.100.0%2F24"))
    client.delete_access_list_entry(pid, "198.51.100.0/24")
    client.delete_access_list_entry(pid, "203.0.113.10")
    client.delete_access_list_entry(pid, "203.0.113.10")  # 404 ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND
    client.list_clusters(pid)
    client.get_cluster(pid, "webstack-local")
    for version in VERSIONS[:2]:
        client.get("/groups/%s/clusters/webstack-local" % pid, version=version)
    for call in (lambda: client.get_cluster(pid, "missing"),
                 lambda: client.get_project("0123456789abcdef01234567"),
                 lambda: client.add_access_list_entries(pid, [{"cidrBlock": "10.1.2.3/8"}]),
                 lambda: client.add_access_list_entries(pid, [{"ipAddress": "192.0.2.1", "cidrBlock": "192.0.2.1/32"}]),
                 lambda: client.add_access_list_entries(pid, [{"cidrBlock": "192.0.2.64/26", "comment": "x" * 81}])):
        with pytest.raises(AtlasError):
            call()
    standin.fault(status=429, count=1, retry_after=0)
    standin.fault(status=500, count=1)
    client.list_access_list(pid)


def _soon():
    import datetime

    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_digest_client_exchanges_match_the_openapi_subset(standin, spec):
    client = AtlasClient(base_url=standin.url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, sleep=lambda s: None,
                         items_per_page=2)
    drive(standin, client)
    seen = validate(spec, standin.server.exchanges)
    statuses = {status for _method, status in seen}
    # every kind of answer was produced and validated, not just the happy path
    assert {200, 204, 400, 401, 404, 429, 500} <= statuses
    assert len(seen) >= 25


def test_service_account_exchanges_match_the_openapi_subset(standin, spec):
    client = AtlasClient(base_url=standin.url, client_id="mdb_sa_id_local", client_secret="mdb_sa_sk_local")
    client.list_access_list(PROJECT_ID)
    client.add_access_list_entries(PROJECT_ID, [{"ipAddress": "203.0.113.10"}])
    client.get_cluster(PROJECT_ID, "webstack-local")
    seen = validate(spec, standin.server.exchanges)
    assert len(seen) == 3
    tokens = [r for r in standin.state.requests if r["kind"] == "token"]
    assert len(tokens) == 1 and tokens[0]["status"] == 200


def test_the_validator_rejects_a_drifted_response(standin, spec):
    """Guard against a validator that accepts anything."""
    client = AtlasClient(base_url=standin.url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY)
    client.add_access_list_entries(PROJECT_ID, [{"cidrBlock": "198.51.100.0/24"}])
    exchange = dict(standin.server.exchanges[-1])
    exchange["response"] = dict(exchange["response"], body={"results": [{"cidrBlock": 24}]})
    with pytest.raises(OpenAPIError) as err:
        validate(spec, [exchange])
    assert "is not of type 'string'" in str(err.value.__cause__ or err.value)
    exchange["response"] = dict(exchange["response"], body={"totalCount": 1})
    with pytest.raises(OpenAPIError):
        validate(spec, [exchange])


def test_missing_versioned_accept_gets_406(standin):
    """Not in the spec's response list (the docs say 406); checked by hand."""
    import urllib.error
    import urllib.request

    client = AtlasClient(base_url=standin.url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY)
    client.get_project(PROJECT_ID)
    for accept in (None, "application/json", "application/vnd.atlas.2023-02-01+json"):
        path = "/api/atlas/v2/groups/%s/accessList" % PROJECT_ID
        headers = {"Authorization": client.auth.header("GET", path)}
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(standin.url + path, headers=headers)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, timeout=5)  # noqa: S310 - loopback
        assert err.value.code == 406
        assert json.loads(err.value.read())["errorCode"] == "INVALID_VERSION_DATE"


def test_contract_copy_is_identical_to_the_shared_contract():
    assert os.path.exists(CONTRACT)
    if not os.path.exists(SHARED_CONTRACT):
        # the shared checkout is beside the clone in CI and in the workspace; a lone clone has only the copy
        with open(CONTRACT, encoding="utf-8") as handle:
            assert "MongoDB Atlas Administration API (subset)" in handle.read()
        return
    assert filecmp.cmp(CONTRACT, SHARED_CONTRACT, shallow=False), (
        "tests/contracts/atlas-admin-v2.subset.yaml differs from ../shared/contracts: copy the shared file again")
