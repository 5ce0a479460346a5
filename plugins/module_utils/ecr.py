# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared ECR reads for the collection's ECR modules (one error path, callers own the client)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing SDK


def registry_args(registry_id):
    """The registryId argument of ECR calls, empty for the caller's own registry."""
    return {"registryId": registry_id} if registry_id else {}


def describe_repository(module, client, name, registry_id=None):
    """Return the repository description, or None when it does not exist."""
    try:
        found = client.describe_repositories(repositoryNames=[name], **registry_args(registry_id))
    except is_boto3_error_code("RepositoryNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read ECR repository {0}".format(name))
    return found["repositories"][0]


def find_image_by_tag(module, client, name, tag, registry_id=None):
    """Return the image description for a tag, or None when the tag is not in the repository."""
    try:
        found = client.describe_images(
            repositoryName=name, imageIds=[{"imageTag": tag}], **registry_args(registry_id)
        )
    except is_boto3_error_code(["ImageNotFoundException", "RepositoryNotFoundException"]):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read tag {0} of ECR repository {1}".format(tag, name))
    images = found.get("imageDetails", [])
    return images[0] if images else None


def repository_tags(module, client, arn):
    """Return a repository's resource tags as a dict."""
    try:
        tags = client.list_tags_for_resource(resourceArn=arn).get("tags", [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the tags of {0}".format(arn))
    return boto3_tag_list_to_ansible_dict(tags, "Key", "Value")


def repository_policy_text(module, client, name, kind, registry_id=None):
    """A repository's lifecycle policy (kind "lifecycle") or access policy (kind "repository") as a
    parsed document, or None when it has none."""
    calls = {
        "lifecycle": ("get_lifecycle_policy", "lifecyclePolicyText", "LifecyclePolicyNotFoundException"),
        "repository": ("get_repository_policy", "policyText", "RepositoryPolicyNotFoundException"),
    }
    method, key, missing = calls[kind]
    try:
        found = getattr(client, method)(repositoryName=name, **registry_args(registry_id))
    except is_boto3_error_code([missing, "RepositoryNotFoundException"]):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:  # pylint: disable=duplicate-except
        module.fail_json_aws(err, msg="Could not read the {0} policy of ECR repository {1}".format(kind, name))
    text = found.get(key)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def registry_login(module, client, registry_id=None):
    """Return endpoint, username and password for a container engine's login."""
    try:
        found = client.get_authorization_token(**({"registryIds": [registry_id]} if registry_id else {}))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not get an ECR login token")
    data = found["authorizationData"][0]
    username, password = base64.b64decode(data["authorizationToken"]).decode("utf-8").split(":", 1)
    module.no_log_values.add(password)
    return dict(endpoint=data["proxyEndpoint"], username=username, password=password)
