"""What cloudmap_namespace reads: an unchanged namespace costs ListNamespaces (filtered by type and name) and
ListTagsForResource, no GetNamespace. botocore's Stubber fails on any call that is not queued, so each test
proves the exact calls; the moto tests in test_cloudmap_modules.py prove create, update and delete end to end.
"""

import pytest
from botocore.stub import ANY

from cloudmap_testlib import namespace_filters

from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_namespace

NS_ID = "ns-0123456789abcdef"
NS_ARN = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" + NS_ID
TAGS = {"webstack:stack": "stack", "webstack:env": "dev"}
FILTERS = namespace_filters("stack-dev.local")
ARGS = {"name": "stack-dev.local", "vpc_id": "vpc-0123456789abcdef0", "description": "discovery", "tags": TAGS,
        "purge_tags": False}


@pytest.fixture
def stubbed(cloudmap_stubber):
    return cloudmap_stubber


def _namespace(description="discovery"):
    return {"Id": NS_ID, "Arn": NS_ARN, "Name": "stack-dev.local", "Type": "DNS_PRIVATE", "Description": description,
            "Properties": {"DnsProperties": {"HostedZoneId": "Z0123456789"}}}


def _tags(stubber):
    stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
                         {"ResourceARN": NS_ARN})


def test_an_unchanged_namespace_reads_the_filtered_list_and_tags_only(stubbed, run_module):
    stubbed.add_response("list_namespaces", {"Namespaces": [_namespace()]}, FILTERS)
    _tags(stubbed)
    result, failed = run_module(cloudmap_namespace.main, ARGS)
    assert not failed and not result["changed"], result
    assert result["namespace"] == {"id": NS_ID, "arn": NS_ARN, "name": "stack-dev.local", "type": "DNS_PRIVATE",
                                   "description": "discovery", "hosted_zone_id": "Z0123456789", "tags": TAGS}


def test_an_endpoint_that_ignores_the_filters_still_gives_the_named_namespace(stubbed, run_module):
    other = dict(_namespace(), Id="ns-other", Arn=NS_ARN + "-other", Name="other.local")
    stubbed.add_response("list_namespaces", {"Namespaces": [other, _namespace()]}, FILTERS)
    _tags(stubbed)
    result, failed = run_module(cloudmap_namespace.main, ARGS)
    assert not failed and result["namespace"]["id"] == NS_ID


def test_a_description_read_from_the_summary_is_updated_then_read_back(stubbed, run_module):
    stubbed.add_response("list_namespaces", {"Namespaces": [_namespace(description="old")]}, FILTERS)
    _tags(stubbed)
    stubbed.add_response("update_private_dns_namespace", {"OperationId": "op-1"},
                         {"Id": NS_ID, "UpdaterRequestId": ANY, "Namespace": {"Description": "discovery"}})
    stubbed.add_response("get_operation", {"Operation": {"Id": "op-1", "Status": "SUCCESS"}}, {"OperationId": "op-1"})
    # After a change only the ID is known: the result is read with GetNamespace.
    stubbed.add_response("get_namespace", {"Namespace": _namespace()}, {"Id": NS_ID})
    _tags(stubbed)
    result, failed = run_module(cloudmap_namespace.main, ARGS, diff=True)
    assert not failed and result["changed"], result
    assert result["diff"]["before"]["description"] == "old" and result["namespace"]["description"] == "discovery"


def test_check_mode_on_a_changed_description_writes_nothing(stubbed, run_module):
    stubbed.add_response("list_namespaces", {"Namespaces": [_namespace(description="old")]}, FILTERS)
    _tags(stubbed)
    result, failed = run_module(cloudmap_namespace.main, ARGS, check_mode=True)
    assert not failed and result["changed"] and result["namespace"]["description"] == "discovery"


def test_create_reads_the_new_namespace_by_id(stubbed, run_module):
    stubbed.add_response("list_namespaces", {"Namespaces": []}, FILTERS)
    stubbed.add_response("create_private_dns_namespace", {"OperationId": "op-2"},
                         {"Name": "stack-dev.local", "Vpc": "vpc-0123456789abcdef0", "CreatorRequestId": ANY,
                          "Description": "discovery", "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]})
    stubbed.add_response("get_operation", {"Operation": {"Id": "op-2", "Status": "SUCCESS", "Targets": {"NAMESPACE": NS_ID}}},
                         {"OperationId": "op-2"})
    stubbed.add_response("get_namespace", {"Namespace": _namespace()}, {"Id": NS_ID})
    _tags(stubbed)
    result, failed = run_module(cloudmap_namespace.main, ARGS)
    assert not failed and result["changed"] and result["namespace"]["id"] == NS_ID
    assert result["namespace"]["hosted_zone_id"] == "Z0123456789"
