"""Unit tests for elasticache_subnet_group_info against in-process moto: one read, differences as the community module sees them."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import elasticache_subnet_group_info as info


@pytest.fixture
def subnets(aws_env):
    with mock_aws():
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        ids = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.%d.0/24" % i)["Subnet"]["SubnetId"] for i in range(3)]
        boto3.client("elasticache").create_cache_subnet_group(
            CacheSubnetGroupName="stack-dev-redis", CacheSubnetGroupDescription="Redis", SubnetIds=ids[:2]
        )
        yield vpc, ids


def test_same_group_in_one_read(subnets, aws_calls, run_module):
    vpc, ids = subnets
    result, failed = run_module(info.main, {"name": "Stack-Dev-Redis", "description": "Redis", "subnets": [ids[1], ids[0]]})
    assert not failed, result
    assert not result["changed"] and result["exists"] and result["differences"] == []
    assert result["subnet_group"]["subnet_ids"] == sorted(ids[:2]) and result["subnet_group"]["vpc_id"] == vpc
    assert aws_calls.names == ["DescribeCacheSubnetGroups"]


def test_description_and_subnets_differ(subnets, run_module):
    ids = subnets[1]
    result, failed = run_module(info.main, {"name": "stack-dev-redis", "description": "other", "subnets": ids})
    assert not failed and result["differences"] == ["description", "subnets"]


def test_not_given_is_not_compared(subnets, run_module):
    result, failed = run_module(info.main, {"name": "stack-dev-redis"}, check_mode=True)
    assert not failed and result["differences"] == []


def test_missing_group(subnets, run_module):
    result, failed = run_module(info.main, {"name": "nothing-here", "subnets": ["subnet-1"]})
    assert not failed and not result["exists"] and result["subnet_group"] == {} and result["differences"] == ["missing"]
