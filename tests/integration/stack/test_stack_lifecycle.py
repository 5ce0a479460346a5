"""End to end on the local inventory: deploy, re-deploy, check mode, status, destroy.

Each step asserts on the emulators' own request logs and state, not on the playbook's word.
"""

import pytest

from .stackrun import atlas_entries, playbook, stack_resources

def _writes(requests):
    return [r for r in requests if r["kind"] == "write"]


@pytest.fixture(scope="module")
def deployed(emulators):
    emulators.reset()
    first = playbook(emulators, "deploy.yml")
    assert first.rc == 0, first.output[-4000:]
    return first


def test_check_mode_on_an_empty_account_writes_nothing(emulators):
    emulators.reset()
    run = playbook(emulators, "deploy.yml", "--check")
    assert run.rc == 0, run.output[-4000:]
    assert _writes(emulators.requests("moto")) == []
    assert _writes(emulators.requests("atlas")) == []
    assert stack_resources(emulators) == []


def test_second_deploy_changes_nothing(emulators, deployed):
    assert deployed.changed > 0
    again = playbook(emulators, "deploy.yml")
    assert again.rc == 0, again.output[-4000:]
    assert again.changed == 0, "tasks that changed on the second run: %s" % again.changed_tasks()


def test_check_mode_on_a_deployed_account_writes_nothing(emulators, deployed):
    before = len(emulators.requests("moto"))
    run = playbook(emulators, "deploy.yml", "--check")
    assert run.rc == 0, run.output[-4000:]
    assert run.changed == 0, run.changed_tasks()
    assert _writes(emulators.requests("moto")[before:]) == []


@pytest.mark.parametrize("selection, message", [
    (["--tags", "backend"], "the backend part needs what ecr, ecs_cluster, network, redis, secrets return in the same run (tags ecr,ecs,network,redis,secrets)"),
    (["--tags", "ecs"], "the ecs_cluster part needs what network, redis return in the same run (tags network,redis)"),
    (["--skip-tags", "redis"], "the backend part needs what redis return in the same run (tags redis; they are skipped)"),
    (["--tags", "frontend"], "the nginx part needs what backend return in the same run (tags backend)"),
])
def test_a_partial_run_without_what_it_needs_stops_before_any_call(emulators, deployed, selection, message):
    before = len(emulators.requests("moto"))
    run = playbook(emulators, "deploy.yml", *selection)
    assert run.rc != 0
    assert message in " ".join(run.output.split()), run.output[-3000:]
    assert "playbooks/update_image.yml" in run.output
    assert emulators.requests("moto")[before:] == []


def test_a_partial_run_with_what_it_needs_keeps_the_backend_whole(emulators, deployed):
    # Everything the services take from, without Atlas and the ALB: the backend keeps its secrets.
    run = playbook(emulators, "deploy.yml", "--tags", "network,ecr,redis,secrets,ecs,frontend")
    assert run.rc == 0, run.output[-4000:]
    assert run.changed == 0, run.changed_tasks()
    session, url = emulators.boto3_session()
    ecs = session.client("ecs", endpoint_url=url)
    service = ecs.describe_services(cluster="webstack-local", services=["backend"])["services"][0]
    container = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]
    assert {s["name"] for s in container["secrets"]} >= {"MONGODB_URI"}, container["secrets"]


def test_the_worker_is_deployed_and_reachable_only_as_declared(emulators, deployed):
    """The local inventory's third service (webstack_services: reaches redis, reached by nobody)."""
    session, url = emulators.boto3_session()
    ec2 = session.client("ec2", endpoint_url=url)
    filters = [{"Name": "tag:webstack:stack", "Values": ["webstack"]}, {"Name": "tag:webstack:env", "Values": ["local"]}]
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]}
    names = {g["GroupId"]: name for name, g in groups.items()}

    def admitted(name):
        return {(names[pair["GroupId"]], rule["FromPort"]) for rule in groups[name]["IpPermissions"]
                for pair in rule.get("UserIdGroupPairs", [])}

    assert groups["webstack-local-worker"]["IpPermissions"] == []
    assert admitted("webstack-local-redis") == {("webstack-local-backend", 6379), ("webstack-local-worker", 6379)}
    assert admitted("webstack-local-backend") == {("webstack-local-frontend", 8080)}
    assert not any(name == "webstack-local-worker" for name, _port in admitted("webstack-local-backend"))

    ecs = session.client("ecs", endpoint_url=url)
    worker = ecs.describe_services(cluster="webstack-local", services=["worker"])["services"][0]
    awsvpc = worker["networkConfiguration"]["awsvpcConfiguration"]
    assert worker["desiredCount"] == 1 and worker.get("serviceRegistries", []) == []
    assert awsvpc["securityGroups"] == [groups["webstack-local-worker"]["GroupId"]] and awsvpc["assignPublicIp"] == "DISABLED"
    private = {s["SubnetId"] for s in ec2.describe_subnets(Filters=filters)["Subnets"] if s["CidrBlock"] in ("10.20.10.0/24", "10.20.11.0/24")}
    assert set(awsvpc["subnets"]) <= private
    container = ecs.describe_task_definition(taskDefinition=worker["taskDefinition"])["taskDefinition"]["containerDefinitions"][0]
    assert container["portMappings"][0]["containerPort"] == 8081
    assert "http://127.0.0.1:8081/health" in container["healthCheck"]["command"][1]
    assert {e["name"] for e in container["environment"]} >= {"REDIS_HOST", "REDIS_PORT", "REDIS_TLS", "WORKER_INTERVAL_SECONDS"}
    # The Redis token, and not the backend's Mongo URI: each service gets its own secrets.
    assert [s["name"] for s in container["secrets"]] == ["REDIS_AUTH_TOKEN"]
    assert "/webstack-local/worker@sha256:" in container["image"]

    resources = stack_resources(emulators)
    for expected in ("ecr:webstack-local/worker", "ecs-service:worker", "logs:/ecs/webstack-local/worker",
                     "iam-role:webstack-local-worker-task"):
        assert expected in resources, expected
    assert not [r for r in resources if r.startswith("cloudmap-service:worker.")]


def test_secrets_never_appear_at_vvv(emulators, deployed):
    import os

    with open(os.path.join(emulators.cfg["run_dir"], "mongodb-password"), encoding="utf-8") as handle:
        mongo_password = handle.read().split()[0]
    session, url = emulators.boto3_session()
    sm = session.client("secretsmanager", endpoint_url=url)
    redis_token = sm.get_secret_value(SecretId="webstack-local/redis/auth-token")["SecretString"]
    mongo_uri = sm.get_secret_value(SecretId="webstack-local/backend/mongodb-uri")["SecretString"]
    secrets = {
        "Mongo password": mongo_password,
        "Mongo URI": mongo_uri,
        "Redis AUTH token": redis_token,
        "Atlas private key": "local-private-key",
    }
    assert len(mongo_password) >= 16 and len(redis_token) >= 32 and mongo_password in mongo_uri
    for name in ("deploy.yml", "status.yml", "update_image.yml"):
        run = playbook(emulators, name, "-vvv")
        assert run.rc == 0, run.output[-4000:]
        leaked = [what for what, value in secrets.items() if value in run.output]
        assert leaked == [], "%s -vvv printed: %s" % (name, leaked)


def test_image_only_update_touches_only_the_service(emulators, deployed):
    import json

    session, url = emulators.boto3_session()
    ecr = session.client("ecr", endpoint_url=url)
    manifest = json.loads(ecr.batch_get_image(repositoryName="webstack-local/backend",
                                              imageIds=[{"imageTag": "local-0001"}])["images"][0]["imageManifest"])
    # The seed is an image index (linux/amd64 and linux/arm64): another manifest in it makes another image.
    (manifest.get("layers") or manifest["manifests"])[0]["digest"] = "sha256:" + "d" * 64
    ecr.put_image(repositoryName="webstack-local/backend", imageManifest=json.dumps(manifest), imageTag="local-0002")
    new_digest = ecr.describe_images(repositoryName="webstack-local/backend",
                                     imageIds=[{"imageTag": "local-0002"}])["imageDetails"][0]["imageDigest"]

    missing = playbook(emulators, "update_image.yml", "-e", "webstack_backend_image_tag=never-pushed")
    assert missing.rc != 0 and "never-pushed" in missing.output

    before = len(emulators.requests("moto"))
    run = playbook(emulators, "update_image.yml", "-e", "webstack_backend_image_tag=local-0002")
    assert run.rc == 0, run.output[-4000:]
    calls = emulators.requests("moto")[before:]
    assert sorted({c["action"] for c in calls if c["kind"] == "write"}) == ["RegisterTaskDefinition", "UpdateService"]
    assert {c["service"] for c in calls} <= {"ecr", "ecs"}, {c["service"] for c in calls}
    ecs = session.client("ecs", endpoint_url=url)
    service = ecs.describe_services(cluster="webstack-local", services=["backend"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert definition["containerDefinitions"][0]["image"].endswith("@" + new_digest)
    assert any(s["name"] == "MONGODB_URI" for s in definition["containerDefinitions"][0]["secrets"])

    again = playbook(emulators, "update_image.yml", "-e", "webstack_backend_image_tag=local-0002")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()


def test_status_shows_the_stack_without_changing_it(emulators, deployed):
    before = len(emulators.requests("moto"))
    atlas_before = len(emulators.requests("atlas"))
    run = playbook(emulators, "status.yml")
    assert run.rc == 0, run.output[-4000:]
    assert run.changed == 0
    assert "webstack-local (us-east-1)" in run.output
    assert "atlas_access_list:" in run.output and "/32" in run.output
    assert _writes(emulators.requests("moto")[before:]) == []
    assert _writes(emulators.requests("atlas")[atlas_before:]) == []


def test_destroy_needs_confirmation_and_then_removes_everything(emulators, deployed):
    refused = playbook(emulators, "destroy.yml")
    assert refused.rc != 0 and "Not confirmed" in refused.output
    assert stack_resources(emulators) != []
    assert [r for r in atlas_entries(emulators) if "managed-by:stackops.ecs_webstack" in r.get("comment", "")]

    # Check mode on the deployed account: runs to the end, reports removals, writes nothing anywhere.
    resources, moto_mark, atlas_mark = stack_resources(emulators), len(emulators.requests("moto")), len(emulators.requests("atlas"))
    checked = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes", "--check")
    assert checked.rc == 0, checked.output[-4000:]
    assert checked.changed > 0
    assert _writes(emulators.requests("moto")[moto_mark:]) == []
    assert _writes(emulators.requests("atlas")[atlas_mark:]) == []
    assert stack_resources(emulators) == resources

    destroyed = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes")
    assert destroyed.rc == 0, destroyed.output[-4000:]
    assert stack_resources(emulators) == []
    managed = [r for r in atlas_entries(emulators) if "managed-by:stackops.ecs_webstack" in r.get("comment", "")]
    assert managed == []
    again = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes")
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
