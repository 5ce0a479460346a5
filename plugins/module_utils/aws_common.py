# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plumbing every AWS module of the collection shares: the one client (retry policy), the one error
tuple, and tags: tag_diff (the comparison), foreign_tags (the owner-tag check) and ensure_tags (the
one path that compares and writes a resource's tags, whatever the service's tag API looks like)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

import os

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

try:
    import botocore
    from botocore.config import Config
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK

# What a busy account answers to a caller that goes too fast, per protocol: JSON services (ECS, ECR,
# Cloud Map, Secrets Manager, Logs, Application Auto Scaling) say ThrottlingException, EC2
# RequestLimitExceeded, query services (IAM, ElastiCache, ELBv2) Throttling, Lambda
# TooManyRequestsException. amazon.aws's AWSRetry knows all but the first.
THROTTLING_CODES = ("ThrottlingException", "ThrottledException", "RequestThrottledException",
                    "TooManyRequestsException", "RequestLimitExceeded", "Throttling", "PriorRequestNotComplete")
# botocore retries every request (paginators' pages included) in standard mode. Its default of 3
# attempts gives up on a burst of three throttles in a row, which a busy account routinely sends.
RETRIES = {"mode": "standard", "total_max_attempts": 10}


def retry_config(module):
    """The botocore retry settings for the module's clients: the user's (aws_config.retries, or
    AWS_MAX_ATTEMPTS / AWS_RETRY_MODE in the environment) where set, otherwise RETRIES."""
    if (module.params.get("aws_config") or {}).get("retries"):
        return None  # AnsibleAWSModule merges aws_config last: the user's choice wins anyway
    if os.environ.get("AWS_MAX_ATTEMPTS") or os.environ.get("AWS_RETRY_MODE"):
        return None
    return dict(RETRIES)


def client(module, service, config=None):
    """The module's boto3 client for ``service``: requests retried by botocore (standard mode, see
    RETRIES) and, for calls made with ``aws_retry=True``, by AWSRetry on every throttling code."""
    retries = retry_config(module)
    if retries:
        config = Config(retries=retries).merge(config) if config is not None else Config(retries=retries)
    extra = {"config": config} if config is not None else {}
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=list(THROTTLING_CODES)),
                         **extra)


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


# Each service's tag API: (remove call, add call, ARN parameter, keys parameter, tags parameter,
# tag key spelling, tag value spelling, retried with aws_retry=True).
TAG_APIS = {
    "ecs": ("untag_resource", "tag_resource", "resourceArn", "tagKeys", "tags", "key", "value", False),
    "ecr": ("untag_resource", "tag_resource", "resourceArn", "tagKeys", "tags", "Key", "Value", False),
    "servicediscovery": ("untag_resource", "tag_resource", "ResourceARN", "TagKeys", "Tags", "Key", "Value", False),
    "elasticache": ("remove_tags_from_resource", "add_tags_to_resource", "ResourceName", "TagKeys", "Tags", "Key", "Value",
                    True),
}


def write_tags(client, api, arn, to_set, to_remove):
    """Remove to_remove, then set to_set, through the tag API of ``api`` (a key of TAG_APIS)."""
    remove, add, arn_key, keys_key, tags_key, key_name, value_name, retry = TAG_APIS[api]
    extra = {"aws_retry": True} if retry else {}
    if to_remove:
        kwargs = {arn_key: arn, keys_key: list(to_remove)}
        kwargs.update(extra)
        getattr(client, remove)(**kwargs)
    if to_set:
        kwargs = {arn_key: arn, tags_key: ansible_dict_to_boto3_tag_list(to_set, key_name, value_name)}
        kwargs.update(extra)
        getattr(client, add)(**kwargs)


def ensure_tags(module, client, api, arn, current, wanted, purge, msg):
    """Make the tags of ``arn`` what ``wanted`` asks for; return (to_set, to_remove).

    The comparison is tag_diff's (wanted None leaves the tags alone), so a module that decided
    "changed" with tag_diff earlier gets the same answer here. Nothing is written in check mode or
    when nothing differs; an AWS error fails the module with ``msg``."""
    to_set, to_remove = tag_diff(current, wanted, purge)
    if module.check_mode or not (to_set or to_remove):
        return to_set, to_remove
    try:
        write_tags(client, api, arn, to_set, to_remove)
    except aws_errors() as err:
        module.fail_json_aws(err, msg=msg)
    return to_set, to_remove
