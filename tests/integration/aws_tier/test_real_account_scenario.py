"""The real-account tier: deploy, re-deploy, image-only update, status and destroy of inventories/dev.

In ``make test`` it runs on the emulated account behind the adversarial front: every service throttles
(three in a row for one call, which the SDK's default of 3 attempts does not outlast), a new IAM role is
not assumable by Lambda for seconds, ENIs linger after the tasks, Redis nodes and gateways that owned them
(security group, subnet and VPC deletes answer DependencyViolation meanwhile), and the caller's profile
is in another region than the stack. With WEBSTACK_E2E_TARGET=aws the same steps run on a real account
(docs/real_account_tests.md).
"""

import json

import pytest

from .accounts import PROFILE_REGION, STACK_REGION

# Global services sign for us-east-1 whatever the client's region (as AWS requires).
GLOBAL_SERVICES = {"iam", "route53"}


def _front(target):
    requests = target.front_requests()
    if requests is None:
        pytest.skip("a real account has no front to read: AWS itself throttles and lags there")
    return requests


@pytest.fixture(scope="module")
def deployed(target):
    run = target.playbook("deploy.yml")
    assert run.rc == 0, run.output[-6000:]
    return run


def test_deploy_converges_through_throttling_and_lag(target, deployed):
    assert deployed.changed > 0
    kinds = {resource.split(":", 1)[0] for resource in target.resources()}
    assert {"vpc", "ecs-service", "redis", "lambda", "rule", "ecr", "secret"} <= kinds, kinds
    if target.real:
        return
    requests = _front(target)
    throttled = {r["service"] for r in requests if r["outcome"] == "throttled"}
    called = {r["service"] for r in requests}
    # Every service the deploy calls was throttled at least once, some calls three times in a row.
    assert called - throttled == set(), "never throttled: %s" % sorted(called - throttled)
    assert max(_longest_burst(requests).values()) >= 3
    refused = [r for r in requests if r["outcome"] == "consistency"]
    assert any(r["action"] == "CreateFunction" for r in refused), "the IAM propagation window was never hit"


def _longest_burst(requests):
    """For each (service, action): the most throttles in a row before an answer."""
    runs, longest = {}, {}
    for r in requests:
        key = (r["service"], r["action"])
        runs[key] = runs.get(key, 0) + 1 if r["outcome"] == "throttled" else 0
        longest[key] = max(longest.get(key, 0), runs[key])
    return longest


def test_every_call_is_made_in_the_stacks_region_not_the_profiles(target, deployed):
    if not target.real:
        regions = {(r["service"], r["region"]) for r in _front(target)
                   if r["service"] not in GLOBAL_SERVICES and r["region"] != STACK_REGION}
        assert regions == set(), "calls signed for another region than %s: %s" % (STACK_REGION, sorted(regions))
    # Nothing of the stack in the profile's region (IAM is global: its roles show in every region).
    regional = [r for r in target.resources(region=PROFILE_REGION) if not r.startswith(("iam-role:", "instance-profile:"))]
    assert regional == []


def test_a_second_deploy_changes_nothing(target, deployed):
    again = target.playbook("deploy.yml")
    assert again.rc == 0, again.output[-6000:]
    assert again.changed == 0, "tasks that changed on the second run: %s" % again.changed_tasks()


def test_an_image_only_update_rolls_out_the_new_digest(target, deployed):
    if target.real:
        pytest.skip("needs a second pushed tag: set WEBSTACK_E2E_EXTRA_VARS with it and run update_image.yml by hand")
    session, url = target.session()
    ecr = session.client("ecr", endpoint_url=url)
    repository = "%s-dev/backend" % target.stack
    manifest = json.loads(ecr.batch_get_image(repositoryName=repository,
                                              imageIds=[{"imageTag": "e2e-0001"}])["images"][0]["imageManifest"])
    (manifest.get("layers") or manifest["manifests"])[0]["digest"] = "sha256:" + "e" * 64  # an image or an index
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="e2e-0002")
    digest = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": "e2e-0002"}])["imageDetails"][0]["imageDigest"]

    run = target.playbook("update_image.yml", "-e", "webstack_backend_image_tag=e2e-0002")
    assert run.rc == 0, run.output[-6000:]
    ecs = session.client("ecs", endpoint_url=url)
    service = ecs.describe_services(cluster="%s-dev" % target.stack, services=["backend"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert definition["containerDefinitions"][0]["image"].endswith("@" + digest)
    assert [d["taskDefinition"] for d in service["deployments"]] == [service["taskDefinition"]]


def test_status_reads_without_writing(target, deployed):
    mark = len(target.front_requests() or [])
    run = target.playbook("status.yml")
    assert run.rc == 0, run.output[-6000:]
    assert run.changed == 0
    assert "%s-dev (%s)" % (target.stack, STACK_REGION) in run.output
    writes = [r for r in (target.front_requests() or [])[mark:] if not r["action"].startswith(("Describe", "List", "Get", "BatchGet"))]
    assert writes == [], writes


def test_destroy_leaves_nothing_while_enis_linger(target, deployed):
    mark = len(target.front_requests() or [])
    run = target.playbook("destroy.yml", "-e", "webstack_destroy_confirm=yes")
    assert run.rc == 0, run.output[-6000:]
    assert target.resources() == []
    if not target.real:
        # The first network delete after the services and Redis went met their lingering ENIs, was
        # refused with DependencyViolation and tried again until it passed.
        refused = [r["action"] for r in _front(target)[mark:] if r["outcome"] == "consistency"]
        assert "DeleteSecurityGroup" in refused, refused
