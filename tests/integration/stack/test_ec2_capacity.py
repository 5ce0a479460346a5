"""The stack on free-tier EC2 instances (ecs_cluster_launch_type: EC2) on the local inventory as earlier releases
wrote it (frontend and backend through the per-service variables, which these settings change): bad combinations
stop before any change; deploy, re-deploy (changed=0) and destroy (nothing left)."""

import pytest

from .stackrun import playbook, stack_resources

# What an EC2 environment sets: small frontend tasks that share a t3.micro with a backend task.
EC2 = ["-e", "ecs_cluster_launch_type=EC2", "-e", "webstack_frontend_memory=128", "-e", "ecs_cluster_ec2_max_size=3",
       "-e", "webstack_backend_max_count=3"]


def _writes(requests):
    return [r for r in requests if r["kind"] == "write"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["-e", "network_nat_gateway=false"], "ecs_cluster_launch_type is EC2 but network_nat_gateway is false"),
        (["-e", "atlas_access_mode=task_ips"], "atlas_access_mode is task_ips but the tasks run on EC2"),
        (["-e", "webstack_backend_max_count=5"], "raise ecs_cluster_ec2_max_size or lower webstack_backend_max_count"),
        (["-e", "webstack_frontend_memory=512"], "webstack_backend_memory + webstack_frontend_memory = 1024 MiB"),
        (["-e", "ecs_cluster_ec2_image_id=ubuntu"], "ecs_cluster_ec2_image_id 'ubuntu' must be an AMI ID"),
        (["-e", "ecs_cluster_ec2_min_size=4"], "ecs_cluster_ec2_min_size=4 / ecs_cluster_ec2_max_size=3"),
    ],
)
def test_bad_ec2_settings_stop_before_any_change(emulators, legacy, extra, message):
    emulators.reset()
    run = playbook(emulators, "deploy.yml", *(EC2 + extra), inventory=legacy)
    assert run.rc != 0
    assert message in " ".join(run.output.split()), run.output[-3000:]
    assert _writes(emulators.requests("moto")) == []
    assert _writes(emulators.requests("atlas")) == []


def test_ec2_stack_deploys_converges_and_is_destroyed(emulators, legacy):
    emulators.reset()
    first = playbook(emulators, "deploy.yml", *EC2, inventory=legacy)
    assert first.rc == 0, first.output[-4000:]
    left = stack_resources(emulators)
    assert "asg:webstack-local-ecs-instances" in left
    assert "capacity-provider:webstack-local-ec2" in left
    assert "launch-template:webstack-local-ecs-instances" in left
    assert any(item.startswith("instance:") for item in left)

    session, url = emulators.boto3_session()
    ecs = session.client("ecs", endpoint_url=url)
    cluster = ecs.describe_clusters(clusters=["webstack-local"])["clusters"][0]
    assert cluster["defaultCapacityProviderStrategy"][0]["capacityProvider"] == "webstack-local-ec2"
    services = {s["serviceName"]: s for s in ecs.describe_services(cluster="webstack-local", services=["backend", "frontend"])["services"]}
    definitions = {name: ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"] for name, svc in services.items()}
    assert definitions["backend"]["requiresCompatibilities"] == ["EC2"] and definitions["backend"]["networkMode"] == "awsvpc"
    assert services["backend"]["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert definitions["frontend"]["networkMode"] == "host" and not services["frontend"].get("networkConfiguration")

    again = playbook(emulators, "deploy.yml", *EC2, inventory=legacy)
    assert again.rc == 0, again.output[-4000:]
    assert again.changed == 0, "tasks that changed on the second run: %s" % again.changed_tasks()

    before = len(emulators.requests("moto"))
    check = playbook(emulators, "deploy.yml", "--check", *EC2, inventory=legacy)
    assert check.rc == 0, check.output[-4000:]
    assert _writes(emulators.requests("moto")[before:]) == []

    gone = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes", *EC2, inventory=legacy)
    assert gone.rc == 0, gone.output[-4000:]
    assert stack_resources(emulators) == []
