# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plumbing every AWS module of the collection shares: the one error tuple and tag diffing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def aws_errors():
    """What a boto3 call may raise that the module reports with fail_json_aws."""
    return (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


def tag_diff(current, wanted, purge):
    """(to_set, to_remove) between a tag dict and the wanted one; wanted None leaves tags alone."""
    if wanted is None:
        return {}, []
    return compare_aws_tags(current or {}, wanted, purge_tags=purge)


def tags_after(current, to_set, to_remove):
    """The tag dict once tag_diff's changes are applied (for the result and --diff)."""
    after = dict((k, v) for k, v in (current or {}).items() if k not in to_remove)
    after.update(to_set)
    return after


def foreign_tags(current, owner_tags):
    """Keys of owner_tags the resource does not carry with the same value: non-empty means not ours."""
    return sorted(k for k, v in (owner_tags or {}).items() if (current or {}).get(k) != v)


def ecs_tags(tag_list):
    """ECS spells tag keys in lower case (key/value), unlike most services."""
    return boto3_tag_list_to_ansible_dict(tag_list or [], "key", "value")


def ecs_tag_list(tags):
    return ansible_dict_to_boto3_tag_list(tags or {}, "key", "value")


def apply_ecs_tags(client, arn, to_set, to_remove):
    """Write tag changes on an ECS resource (cluster, service, capacity provider)."""
    if to_remove:
        client.untag_resource(resourceArn=arn, tagKeys=list(to_remove))
    if to_set:
        client.tag_resource(resourceArn=arn, tags=ecs_tag_list(to_set))
