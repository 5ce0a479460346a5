"""Change the scenario's secrets by hand, as someone in the console would, with plain boto3.

    python drift.py <prefix>

Prints what it changed (JSON, never a value). The side effect then proves that the role's next run
puts every part back, although it runs community.aws.secretsmanager_secret only for a secret that differs.
"""

import json
import sys

import boto3


def main(prefix):
    sm = boto3.client("secretsmanager")
    done = []
    uri = prefix + "/backend/mongodb-uri"
    api_key = prefix + "/backend/api-key"
    sm.put_secret_value(SecretId=uri, SecretString="mongodb+srv://changed-by-hand@elsewhere/app")
    done.append(uri + " value")
    sm.update_secret(SecretId=api_key, Description="edited in the console")
    done.append(api_key + " description")
    sm.tag_resource(SecretId=api_key, Tags=[{"Key": "webstack:env", "Value": "by-hand"}, {"Key": "Owner", "Value": "by-hand"}])
    done.append(api_key + " tags webstack:env, Owner")
    print(json.dumps(done))


if __name__ == "__main__":
    main(sys.argv[1])
