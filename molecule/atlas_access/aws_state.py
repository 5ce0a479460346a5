"""Print the emulated AWS state of the atlas_access sync Lambda as JSON (for verify.yml)."""

import base64
import hashlib
import json
import sys
import zipfile

import boto3


def main(name, zip_path):
    lam = boto3.client("lambda")
    events = boto3.client("events")
    iam = boto3.client("iam")
    secrets = boto3.client("secretsmanager")
    function = lam.get_function(FunctionName=name)
    with open(zip_path, "rb") as handle:
        local = handle.read()
    rule = events.describe_rule(Name=name)
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    secret_name = function["Configuration"]["Environment"]["Variables"]["ATLAS_SECRET_ID"]
    secret = json.loads(secrets.get_secret_value(SecretId=secret_name)["SecretString"])
    print(json.dumps({
        "function": function["Configuration"],
        # the deployed code is the zip the role built (moto's code download URL is not reachable)
        "code_matches": function["Configuration"]["CodeSha256"] == base64.b64encode(hashlib.sha256(local).digest()).decode(),
        "zip_files": sorted(zipfile.ZipFile(zip_path).namelist()),
        "rule_arn": rule["Arn"],
        "rule_pattern": json.loads(rule["EventPattern"]),
        "targets": [t["Arn"] for t in events.list_targets_by_rule(Rule=name)["Targets"]],
        "permission": policy["Statement"][0],
        "role_policy": json.dumps(iam.get_role_policy(RoleName=name, PolicyName="atlas-access-sync")["PolicyDocument"]),
        "secret_keys": sorted(secret),  # names only: the values are secrets
    }, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
