"""Print the emulated account's ECR state for the verify step, read with plain boto3 (not the role's modules)."""

import json
import sys

import boto3


def main(names):
    ecr = boto3.client("ecr")
    out = {}
    for name in names:
        repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        out[name] = {
            "repo": repo,
            "lifecycle": json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]),
            "policy": json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"]),
            "tags": {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]},
            "tags_pushed": sorted(t for i in ecr.describe_images(repositoryName=name)["imageDetails"] for t in i.get("imageTags", [])),
        }
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
