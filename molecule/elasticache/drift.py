"""Change the scenario's Redis by hand, as someone in the console would, with plain boto3.

    python drift.py <subnet group> <secret name> [--digest-only]

Prints JSON: what it changed and the SHA-256 of the stored AUTH token (never the token), so the side
effect can prove the next run repairs the drift and keeps the token. --digest-only changes nothing.
"""

import hashlib
import json
import sys

import boto3


def main(subnet_group, secret_name, digest_only=False):
    sm = boto3.client("secretsmanager")
    ec = boto3.client("elasticache")
    done = []
    if not digest_only:
        # A retagged secret: a changed stack tag and one the role did not set (it purges those).
        sm.tag_resource(SecretId=secret_name, Tags=[{"Key": "webstack:env", "Value": "by-hand"}, {"Key": "Owner", "Value": "by-hand"}])
        done.append("secret tags webstack:env, Owner")
        ec.modify_cache_subnet_group(CacheSubnetGroupName=subnet_group, CacheSubnetGroupDescription="edited in the console")
        done.append("subnet group description")
    token = sm.get_secret_value(SecretId=secret_name)["SecretString"]
    print(json.dumps({"changed": done, "token_sha256": hashlib.sha256(token.encode()).hexdigest()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--digest-only" in sys.argv[3:])
