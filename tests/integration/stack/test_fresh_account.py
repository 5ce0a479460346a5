"""A deploy on a new account whose images were never pushed: it stops at the image check, before the
network's NAT gateway and Elastic IP (billed by the hour) or anything else but the free repositories.
(The ecr role reads the tags before it creates anything: on a new account nothing at all is written.)"""

from .stackrun import playbook


def test_missing_images_stop_the_deploy_before_anything_billed(emulators):
    emulators.reset()
    run = playbook(emulators, "deploy.yml", "-e", "ecr_seed_images=false")
    assert run.rc != 0
    assert "Image tag(s) not found in ECR" in run.output and "webstack_backend_image_tag" in run.output, run.output[-3000:]
    writes = sorted({r["action"] for r in emulators.requests("moto") if r["kind"] == "write"})
    # At most the repositories (free while empty); the network was not even read.
    assert {r["service"] for r in emulators.requests("moto") if r["kind"] == "write"} <= {"ecr"}, writes
    assert "ec2" not in {r["service"] for r in emulators.requests("moto")}
    assert [r for r in emulators.requests("atlas") if r.get("method") not in ("GET", None)] == []
