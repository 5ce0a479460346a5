"""Print the scenario's secrets as the emulated account holds them (plain boto3)."""

import json
import sys

import boto3


def main(prefix):
    sm = boto3.client("secretsmanager")
    out = {}
    for secret in sm.list_secrets()["SecretList"]:
        if secret["Name"].startswith(prefix + "/"):
            out[secret["Name"]] = {
                "arn": secret["ARN"],
                "description": secret.get("Description", ""),
                "tags": {t["Key"]: t["Value"] for t in secret.get("Tags", [])},
                "value": sm.get_secret_value(SecretId=secret["ARN"])["SecretString"],
            }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
