#!/usr/bin/env python3
"""Deploy speed and API economy on the local inventory, measured in one run.

Prints a table and writes benchmarks/results/stack_deploy.json:
* wall time of the first deploy, of a no-op re-run and of an image-only update
  (goals: no-op <= 0.8 x first; image-only <= 0.25 x no-op), as ratios in one run;
* AWS API calls on the no-op run per managed resource (goal: <= 1.5 reads, 0 writes);
* Atlas calls on the no-op run (goal: one list read, no write).
Uses its own emulators (ports 5081/5082) and leaves nothing running. Exits non-zero only when
the harness itself fails (a playbook error), never because a goal is missed.
"""

import collections
import json
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("WEBSTACK_MOTO_PORT", "5081")
os.environ.setdefault("WEBSTACK_ATLAS_PORT", "5082")
os.environ.setdefault("WEBSTACK_RUN_DIR", os.path.join(tempfile.gettempdir(), "ecs_webstack-bench"))

from tests.integration.stack.stackrun import Emulators, playbook, stack_resources  # noqa: E402


def timed(emulators, name, *args):
    start = time.monotonic()
    run = playbook(emulators, name, *args)
    elapsed = time.monotonic() - start
    if run.rc != 0:
        raise SystemExit("%s failed:\n%s" % (name, run.output[-3000:]))
    return elapsed, run


def main():
    results = {}
    with Emulators() as emulators:
        emulators.reset()
        first, _ = timed(emulators, "deploy.yml")
        resources = stack_resources(emulators)
        moto_mark, atlas_mark = len(emulators.requests("moto")), len(emulators.requests("atlas"))
        noop, noop_run = timed(emulators, "deploy.yml")
        moto_calls = emulators.requests("moto")[moto_mark:]
        atlas_calls = emulators.requests("atlas")[atlas_mark:]

        # An image-only update: push a new backend tag (what `docker push` does), then roll it out.
        session, url = emulators.boto3_session()
        ecr = session.client("ecr", endpoint_url=url)
        repo = "webstack-local/backend"
        manifest = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "local-0001"}])["images"][0]["imageManifest"]
        body = json.loads(manifest)
        (body.get("layers") or body["manifests"])[0]["digest"] = "sha256:" + "e" * 64  # the seed is an image index
        ecr.put_image(repositoryName=repo, imageManifest=json.dumps(body), imageTag="bench-0002")
        image_mark = len(emulators.requests("moto"))
        image_only, _ = timed(emulators, "update_image.yml", "-e", "webstack_backend_image_tag=bench-0002")
        image_calls = emulators.requests("moto")[image_mark:]
        emulators.reset()

    reads = [c for c in moto_calls if c["kind"] == "read"]
    writes = [c for c in moto_calls if c["kind"] == "write"]
    managed = max(len(resources), 1)
    results = {
        "first_deploy_s": round(first, 2),
        "noop_deploy_s": round(noop, 2),
        "image_update_s": round(image_only, 2),
        "noop_over_first": round(noop / first, 3),
        "image_over_noop": round(image_only / noop, 3),
        "managed_resources": len(resources),
        "noop_aws_reads": len(reads),
        "noop_aws_writes": len(writes),
        "noop_aws_reads_per_resource": round(len(reads) / managed, 2),
        "noop_atlas_reads": len([c for c in atlas_calls if c["kind"] == "read"]),
        "noop_atlas_writes": len([c for c in atlas_calls if c["kind"] == "write"]),
        "noop_changed": noop_run.changed,
        "image_update_aws_writes": sorted({c["action"] for c in image_calls if c["kind"] == "write"}),
        "noop_writes_detail": sorted({"%s:%s" % (c["service"], c["action"]) for c in writes}),
        # Where the no-op run's reads go (to aim the next speed work): per service, and the busiest calls.
        "noop_aws_reads_by_service": dict(collections.Counter(c["service"] for c in reads).most_common()),
        "noop_aws_top_reads": ["%s:%s x%d" % (svc, action, n) for (svc, action), n in
                               collections.Counter((c["service"], c["action"]) for c in reads).most_common(10)],
    }
    goals = {
        "noop_over_first <= 0.8": results["noop_over_first"] <= 0.8,
        "image_over_noop <= 0.25": results["image_over_noop"] <= 0.25,
        "noop_aws_reads_per_resource <= 1.5": results["noop_aws_reads_per_resource"] <= 1.5,
        "noop_aws_writes == 0": results["noop_aws_writes"] == 0,
        "noop_atlas_reads == 1 and writes == 0": results["noop_atlas_reads"] == 1 and results["noop_atlas_writes"] == 0,
    }
    results["goals_met"] = goals
    width = max(len(k) for k in results)
    for key, value in results.items():
        if key not in ("goals_met", "noop_aws_reads_by_service", "noop_aws_top_reads"):
            print("%-*s  %s" % (width, key, value))
    print("%-*s  %s" % (width, "noop_aws_top_reads", ", ".join(results["noop_aws_top_reads"][:5])))
    for goal, met in goals.items():
        print("%-*s  %s" % (width, goal, "met" if met else "NOT met"))
    out_dir = os.path.join(REPO, "benchmarks", "results")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "stack_deploy.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
