"""ECS task definition removal behaves as the AWS API reference says (in-process moto, patched).

ecs_service_deploy's state=absent relies on these: ListTaskDefinitions by family and status, DeleteTaskDefinitions
taking INACTIVE revisions only and listing them no more, and (the patch) revision numbers not reused after a delete.
"""

import boto3
from moto import mock_aws


def _register(ecs, family):
    return ecs.register_task_definition(
        family=family, containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]


def test_a_family_emptied_by_delete_numbers_its_next_revision_after_the_deleted_ones(aws_env):
    with mock_aws():
        ecs = boto3.client("ecs")
        first, second = _register(ecs, "app"), _register(ecs, "app")
        for arn in (first, second):
            ecs.deregister_task_definition(taskDefinition=arn)
        deleted = ecs.delete_task_definitions(taskDefinitions=[first, second])
        assert deleted["failures"] == []
        assert [d["status"] for d in deleted["taskDefinitions"]] == ["DELETE_IN_PROGRESS"] * 2

        again = _register(ecs, "app")
        assert again.endswith("task-definition/app:3"), again
        # Another family keeps its own numbering.
        assert _register(ecs, "other").endswith("task-definition/other:1")


def test_deleting_some_revisions_keeps_numbering_after_the_highest(aws_env):
    with mock_aws():
        ecs = boto3.client("ecs")
        first, second = _register(ecs, "app"), _register(ecs, "app")
        ecs.deregister_task_definition(taskDefinition=second)
        ecs.delete_task_definitions(taskDefinitions=[second])
        assert _register(ecs, "app").endswith("task-definition/app:3")
        assert ecs.describe_task_definition(taskDefinition=first)["taskDefinition"]["status"] == "ACTIVE"


def test_removal_lists_the_exact_family_and_deletes_inactive_revisions_only(aws_env):
    with mock_aws():
        ecs = boto3.client("ecs")
        backend = [_register(ecs, "stack-dev-backend"), _register(ecs, "stack-dev-backend")]
        other = _register(ecs, "stack-dev-backend2")
        # familyPrefix is the full family name (ListTaskDefinitions API reference).
        assert ecs.list_task_definitions(familyPrefix="stack-dev-backend")["taskDefinitionArns"] == backend
        assert ecs.list_task_definitions(familyPrefix="stack-dev-backend2")["taskDefinitionArns"] == [other]

        refused = ecs.delete_task_definitions(taskDefinitions=[backend[0]])
        assert refused["taskDefinitions"] == [] and refused["failures"][0]["arn"] == backend[0]

        ecs.deregister_task_definition(taskDefinition=backend[0])
        assert ecs.list_task_definitions(familyPrefix="stack-dev-backend", status="INACTIVE")["taskDefinitionArns"] == [backend[0]]
        ecs.deregister_task_definition(taskDefinition=backend[1])
        assert ecs.delete_task_definitions(taskDefinitions=backend)["failures"] == []
        # DELETE_IN_PROGRESS revisions are neither ACTIVE nor INACTIVE: a second removal finds nothing.
        for status in ("ACTIVE", "INACTIVE"):
            assert ecs.list_task_definitions(familyPrefix="stack-dev-backend", status=status)["taskDefinitionArns"] == []
        assert ecs.list_task_definitions(familyPrefix="stack-dev-backend2")["taskDefinitionArns"] == [other]
