"""The optional ALB and Route 53 record (network_alb: true) on the local inventory: deploy puts the frontend
behind the ALB, a second deploy changes nothing, status and the deploy summary show the address, destroy
removes the ALB, its target group and the record (the domain's zone stays)."""

import pytest

from .stackrun import playbook, stack_resources

ZONE = "webstack-local.test"
RECORD = "app.webstack-local.test"
ALB = ["-e", "network_alb=true", "-e", "alb_route53_zone=" + ZONE, "-e", "alb_route53_record=" + RECORD]


@pytest.fixture
def zone(emulators):
    emulators.reset()
    session, url = emulators.boto3_session()
    route53 = session.client("route53", endpoint_url=url)
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference="alb-test")["HostedZone"]["Id"]
    yield route53, zone_id
    route53.delete_hosted_zone(Id=zone_id)


def _a_records(route53, zone_id):
    return [r for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"] if r["Type"] == "A"]


def test_bad_alb_settings_stop_before_any_change(emulators):
    emulators.reset()
    run = playbook(emulators, "deploy.yml", "-e", "network_alb=true", "-e", "alb_route53_zone=" + ZONE,
                   "-e", "alb_route53_record=app.example.org")
    assert run.rc != 0
    assert "alb_route53_record 'app.example.org' must be a lower-case DNS name inside alb_route53_zone" in " ".join(run.output.split())
    assert [r for r in emulators.requests("moto") if r["kind"] == "write"] == []


def test_frontend_behind_the_alb_with_a_record(emulators, zone):
    route53, zone_id = zone
    first = playbook(emulators, "deploy.yml", *ALB)
    assert first.rc == 0, first.output[-4000:]

    session, url = emulators.boto3_session()
    elb = session.client("elbv2", endpoint_url=url)
    alb = [b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == "webstack-local"][0]
    group = [g for g in elb.describe_target_groups()["TargetGroups"] if g["TargetGroupName"] == "webstack-local-fe"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    assert [(lst["Port"], lst["DefaultActions"][0]["TargetGroupArn"]) for lst in listeners] == [(80, group["TargetGroupArn"])]
    assert group["TargetType"] == "ip" and group["HealthCheckPath"] == "/healthz"

    ecs = session.client("ecs", endpoint_url=url)
    frontend = ecs.describe_services(cluster="webstack-local", services=["frontend"])["services"][0]
    assert frontend["loadBalancers"] == [{"targetGroupArn": group["TargetGroupArn"], "containerName": "frontend", "containerPort": 80}]

    # The frontend's security group admits only the ALB's.
    ec2 = session.client("ec2", endpoint_url=url)
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(
        Filters=[{"Name": "tag:webstack:env", "Values": ["local"]}])["SecurityGroups"]}
    frontend_rules = groups["webstack-local-frontend"]["IpPermissions"]
    assert all(rule["IpRanges"] == [] for rule in frontend_rules)
    assert {pair["GroupId"] for rule in frontend_rules for pair in rule["UserIdGroupPairs"]} == {groups["webstack-local-alb"]["GroupId"]}

    record = [r for r in _a_records(route53, zone_id) if r["Name"] == RECORD + "."]
    assert len(record) == 1 and alb["DNSName"].lower() in record[0]["AliasTarget"]["DNSName"].lower()
    assert "http://" + RECORD in first.output and alb["DNSName"] in first.output

    again = playbook(emulators, "deploy.yml", *ALB)
    assert again.rc == 0, again.output[-4000:]
    assert again.changed == 0, "tasks that changed on the second run: %s" % again.changed_tasks()

    before = len(emulators.requests("moto"))
    check = playbook(emulators, "deploy.yml", "--check", *ALB)
    assert check.rc == 0, check.output[-4000:]
    assert [r for r in emulators.requests("moto")[before:] if r["kind"] == "write"] == []

    status = playbook(emulators, "status.yml", *ALB)
    assert status.rc == 0 and status.changed == 0, status.output[-3000:]
    assert "http://" + RECORD in status.output and alb["DNSName"] in status.output

    gone = playbook(emulators, "destroy.yml", "-e", "webstack_destroy_confirm=yes", *ALB)
    assert gone.rc == 0, gone.output[-4000:]
    assert stack_resources(emulators) == []
    assert [r for r in _a_records(route53, zone_id) if r["Name"] == RECORD + "."] == []
