"""Change the scenario's repositories by hand, as someone in the console would, with plain boto3.

The side effect then proves that the role's next run puts every setting back, although the role
skips community.aws.ecs_ecr for a repository whose settings it read as unchanged.
"""

import json

import boto3


def main():
    ecr = boto3.client("ecr")
    ecr.put_image_scanning_configuration(repositoryName="molecule-ecr/backend", imageScanningConfiguration={"scanOnPush": False})
    ecr.put_image_tag_mutability(repositoryName="molecule-ecr/backend", imageTagMutability="MUTABLE")
    ecr.delete_lifecycle_policy(repositoryName="molecule-ecr/frontend")
    ecr.set_repository_policy(repositoryName="molecule-ecr/frontend", policyText=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "ByHand", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}]}))
    print(json.dumps(["backend scan off", "backend mutable", "frontend lifecycle deleted", "frontend policy replaced"]))


if __name__ == "__main__":
    main()
