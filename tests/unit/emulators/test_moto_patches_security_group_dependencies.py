"""DeleteSecurityGroup refuses a group another group's rule names, as EC2 does (in-process moto, patched).

EC2 API reference, DeleteSecurityGroup: a group "referenced by another security group in the same VPC" is not
deleted; the call fails with DependencyViolation. A group's own rules naming itself do not count.
"""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws


@pytest.fixture
def ec2(aws_env):
    with mock_aws():
        yield boto3.client("ec2")


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def _group(ec2, vpc, name):
    return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]


def _pair(group_id, port=6379):
    return [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": group_id}]}]


def _exists(ec2, group_id):
    try:
        ec2.describe_security_groups(GroupIds=[group_id])
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidGroup.NotFound"
        return False
    return True


def _refused(ec2, group_id):
    with pytest.raises(ClientError) as caught:
        ec2.delete_security_group(GroupId=group_id)
    error = caught.value.response
    assert error["Error"]["Code"] == "DependencyViolation"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"] == "resource %s has a dependent object" % group_id
    assert _exists(ec2, group_id)


def test_group_referenced_by_another_groups_ingress_is_not_deleted(ec2, vpc):
    backend, redis = _group(ec2, vpc, "backend"), _group(ec2, vpc, "redis")
    ec2.authorize_security_group_ingress(GroupId=redis, IpPermissions=_pair(backend))
    _refused(ec2, backend)


def test_group_referenced_by_another_groups_egress_is_not_deleted(ec2, vpc):
    backend, redis = _group(ec2, vpc, "backend"), _group(ec2, vpc, "redis")
    ec2.authorize_security_group_egress(GroupId=backend, IpPermissions=_pair(redis))
    _refused(ec2, redis)


def test_group_is_deleted_once_the_referencing_rule_is_revoked(ec2, vpc):
    backend, redis = _group(ec2, vpc, "backend"), _group(ec2, vpc, "redis")
    ec2.authorize_security_group_ingress(GroupId=redis, IpPermissions=_pair(backend))
    ec2.authorize_security_group_egress(GroupId=redis, IpPermissions=_pair(backend, 443))
    _refused(ec2, backend)
    ec2.revoke_security_group_ingress(GroupId=redis, IpPermissions=_pair(backend))
    _refused(ec2, backend)  # the egress rule still names it
    ec2.revoke_security_group_egress(GroupId=redis, IpPermissions=_pair(backend, 443))
    ec2.delete_security_group(GroupId=backend)
    assert not _exists(ec2, backend)
    assert _exists(ec2, redis)


def test_a_groups_own_rules_naming_itself_do_not_block_it(ec2, vpc):
    scheduler = _group(ec2, vpc, "scheduler")
    ec2.authorize_security_group_ingress(GroupId=scheduler, IpPermissions=_pair(scheduler, 8080))
    ec2.authorize_security_group_egress(GroupId=scheduler, IpPermissions=_pair(scheduler, 8080))
    ec2.delete_security_group(GroupId=scheduler)
    assert not _exists(ec2, scheduler)


def test_referencing_group_first_then_the_referenced_one(ec2, vpc):
    backend, redis = _group(ec2, vpc, "backend"), _group(ec2, vpc, "redis")
    ec2.authorize_security_group_ingress(GroupId=redis, IpPermissions=_pair(backend))
    ec2.delete_security_group(GroupId=redis)
    ec2.delete_security_group(GroupId=backend)
    assert not _exists(ec2, redis)
    assert not _exists(ec2, backend)


def test_a_cycle_is_deleted_only_after_one_of_its_rules_is_revoked(ec2, vpc):
    scheduler, queue = _group(ec2, vpc, "scheduler"), _group(ec2, vpc, "queue")
    ec2.authorize_security_group_ingress(GroupId=queue, IpPermissions=_pair(scheduler, 5672))
    ec2.authorize_security_group_ingress(GroupId=scheduler, IpPermissions=_pair(queue, 8080))
    _refused(ec2, scheduler)
    _refused(ec2, queue)
    ec2.revoke_security_group_ingress(GroupId=queue, IpPermissions=_pair(scheduler, 5672))
    _refused(ec2, queue)  # scheduler's rule still names queue
    ec2.delete_security_group(GroupId=scheduler)  # nothing names scheduler now
    ec2.delete_security_group(GroupId=queue)
    assert not _exists(ec2, queue) and not _exists(ec2, scheduler)


def test_a_reference_from_another_vpc_does_not_block(ec2, vpc):
    # The API reference names references "by another security group in the same VPC"; one from a peered VPC
    # becomes a stale rule (VPC peering guide), it does not hold the group.
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    backend, peer = _group(ec2, vpc, "backend"), _group(ec2, other_vpc, "peer")
    ec2.authorize_security_group_ingress(GroupId=peer, IpPermissions=_pair(backend))
    ec2.delete_security_group(GroupId=backend)
    assert not _exists(ec2, backend)


def test_by_name_in_the_default_vpc_and_dry_run(ec2):
    web = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="db")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=_pair(web, 5432))
    with pytest.raises(ClientError) as caught:
        ec2.delete_security_group(GroupName="web")
    assert caught.value.response["Error"]["Code"] == "DependencyViolation"
    with pytest.raises(ClientError) as caught:
        ec2.delete_security_group(GroupId=web, DryRun=True)
    assert caught.value.response["Error"]["Code"] == "DryRunOperation"
    with pytest.raises(ClientError) as caught:
        ec2.delete_security_group(GroupId="sg-0123456789abcdef0")
    assert caught.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
    ec2.delete_security_group(GroupName="db")
    ec2.delete_security_group(GroupName="web")
    assert not _exists(ec2, web)
