"""The two accounts the real-account tier runs on.

* ``EmulatedAccount`` (default, part of ``make test``): moto and the Atlas stand-in, every AWS call through
  tools/emulators/aws_front.py with throttling bursts on every service and the eventual-consistency windows on,
  and the caller's "profile" in another region (us-west-2) than the stack's (eu-west-1, as inventories/dev).
* ``RealAccount`` (``WEBSTACK_E2E_TARGET=aws``): the inventory in ``WEBSTACK_E2E_INVENTORY`` (default
  inventories/dev) against the account of your AWS profile and the Atlas project of your environment, under a
  unique stack name, destroyed at the end whatever happened. See docs/real_account_tests.md (it costs money).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request

from ..stack.stackrun import REPO, Emulators, Run, stack_resources

# Every service gets bursts of three throttles in a row for one call (what the SDK default of 3 attempts
# cannot outlast), one to three of them a deploy: the busy services every 30 calls, the quiet ones more often.
THROTTLING = {
    "*": {"every": 30, "burst": 3},
    "ecs": {"every": 10, "burst": 3},
    "elasticache": {"every": 6, "burst": 3},
    "sts": {"every": 3, "burst": 3},
    "lambda": {"every": 6, "burst": 3},
    "events": {"every": 3, "burst": 3},
    "logs": {"every": 8, "burst": 3},
    "application-autoscaling": {"every": 6, "burst": 3},
    "servicediscovery": {"every": 8, "burst": 3},
    "secretsmanager": {"every": 6, "burst": 3},
}
# A new IAM role reaches Lambda some seconds after CreateRole; ENIs linger after their owner's delete.
FRONT_CONFIG = {"throttle": THROTTLING, "iam_role_propagation_seconds": 20, "eni_linger_seconds": 45}
STACK_REGION = "eu-west-1"  # inventories/dev's webstack_aws_region
PROFILE_REGION = "us-west-2"  # what the caller's profile says


def target_from_environment():
    return RealAccount() if os.environ.get("WEBSTACK_E2E_TARGET") == "aws" else EmulatedAccount()


class EmulatedAccount:
    real = False

    def __init__(self):
        self.emulators = Emulators()
        self.stack = "e2e" + secrets.token_hex(3)
        self.inventory = os.path.join(REPO, "inventories", "dev")
        self.mongodb_uri = "mongodb+srv://e2e:%s@e2e.mongodb.local/app" % secrets.token_urlsafe(18)

    def __enter__(self):
        self.emulators.__enter__()
        if not self.emulators.cfg.get("front_port"):
            raise RuntimeError("the adversarial front is not configured: set WEBSTACK_FRONT_PORT (make test does)")
        self.emulators.reset()
        self.configure(FRONT_CONFIG)
        return self

    def __exit__(self, *exc):
        self.configure({})
        self.emulators.__exit__(*exc)

    def _front(self, path, body=None):
        url = "http://127.0.0.1:%d%s" % (self.emulators.cfg["front_port"], path)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback front
            return json.loads(response.read() or b"{}")

    def configure(self, config):
        return self._front("/_front/config", config)

    def env(self):
        env = self.emulators.env()
        front = "http://127.0.0.1:%d" % self.emulators.cfg["front_port"]
        atlas = "http://127.0.0.1:%d" % self.emulators.cfg["atlas_port"]
        for key in ("AWS_URL", "AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
            env.pop(key, None)
        env.update(
            # The caller's profile: credentials and a region that is not the stack's.
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=PROFILE_REGION, AWS_DEFAULT_REGION=PROFILE_REGION,
            # What inventories/dev reads from the environment.
            WEBSTACK_FRONTEND_TAG="e2e-0001", WEBSTACK_BACKEND_TAG="e2e-0001",
            WEBSTACK_MONGODB_URI=self.mongodb_uri, WEBSTACK_ATLAS_PROJECT_ID="64b7f0c2a1b2c3d4e5f60718",
            MONGODB_ATLAS_PUBLIC_KEY="local-public-key", MONGODB_ATLAS_PRIVATE_KEY="local-private-key",
            WEBSTACK_E2E_AWS_URL=front, WEBSTACK_E2E_ATLAS_URL=atlas,
        )
        return env

    def extra_args(self):
        return ["-e", "webstack_name=%s" % self.stack,
                "-e", "@" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "emulated.yml")]

    def session(self):
        return self.emulators.boto3_session(STACK_REGION)

    def resources(self, region=STACK_REGION):
        session, url = self.emulators.boto3_session(region)
        return stack_resources(self.emulators, stack=self.stack, env="dev", region=region, session=session, url=url)

    def front_requests(self):
        return self.emulators.requests("front")

    def playbook(self, name, *args, timeout=1800):
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", self.inventory,
               os.path.join("playbooks", name)] + self.extra_args() + list(args)
        proc = subprocess.run(cmd, cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
        return Run(proc)


class RealAccount(EmulatedAccount):
    """A real account: nothing is emulated, nothing is faulted (AWS does that itself)."""

    real = True

    def __init__(self):
        super().__init__()
        self.inventory = os.path.abspath(os.path.expanduser(os.environ.get("WEBSTACK_E2E_INVENTORY", self.inventory)))
        self.extra = os.environ.get("WEBSTACK_E2E_EXTRA_VARS", "")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # Guaranteed destroy, whatever the scenario did; a failure here is reported, never hidden.
        run = self.playbook("destroy.yml", "-e", "webstack_destroy_confirm=yes")
        if run.rc != 0:
            raise RuntimeError("destroy of %s failed: remove its resources by hand\n%s" % (self.stack, run.output[-4000:]))

    def env(self):
        return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
                    ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")

    def extra_args(self):
        return ["-e", "webstack_name=%s" % self.stack] + (["-e", self.extra] if self.extra else [])

    def session(self):
        import boto3

        return boto3.session.Session(region_name=STACK_REGION), None

    def resources(self, region=STACK_REGION):
        import boto3

        return stack_resources(None, stack=self.stack, env="dev", region=region,
                               session=boto3.session.Session(region_name=region), url=None)

    def front_requests(self):
        return None
