"""In-process patches that make moto 5.2.5 behave like AWS where the stack needs it.

This file is the ONLY place where the test harness changes moto. Each patch names the
AWS behaviour it models and the moto gap it closes (see shared notes
"moto-5.2.5-coverage"). The collection's modules are never changed to please the
emulator: if a module needs a patch here, the module is doing what AWS documents.

Patches are applied by ``moto_launcher.py`` before the server answers its first
request. ``apply()`` is idempotent.
"""

from __future__ import annotations

_APPLIED = False

# Each entry: (name, AWS behaviour modelled, function that installs the patch).
PATCHES: list = []


def patch(name: str, aws_behaviour: str):
    """Register a patch function with the AWS behaviour it models."""

    def register(func):
        PATCHES.append((name, aws_behaviour, func))
        return func

    return register


@patch(
    "ecr-immutable-tag-error-code",
    "ECR PutImage on an IMMUTABLE repository with an existing tag raises "
    "ImageTagAlreadyExistsException (ECR API reference, PutImage errors); moto raises "
    "ImageAlreadyExistsException.",
)
def _ecr_immutable_tag_error():
    import json

    from moto.core.exceptions import ServiceException
    from moto.ecr import models
    from moto.ecr.exceptions import ImageAlreadyExistsException

    class ImageTagAlreadyExistsException(ServiceException):
        code = "ImageTagAlreadyExistsException"

    # moto finds an error's service model through the exception's module name.
    ImageTagAlreadyExistsException.__module__ = "moto.ecr.exceptions"

    original = models.ECRBackend.put_image

    def _manifest_body(text):
        body = json.loads(text)
        body.pop("imageManifest", None)  # moto's own bookkeeping key
        return body

    def put_image(self, repository_name, image_manifest, image_tag, *args, **kwargs):
        try:
            return original(self, repository_name, image_manifest, image_tag, *args, **kwargs)
        except ImageAlreadyExistsException:
            repository = self.repositories[repository_name]
            wanted = _manifest_body(image_manifest)
            same_manifest = any(
                _manifest_body(img.image_manifest) == wanted
                for img in repository.images
                if image_tag in img.image_tags
            )
            if repository.is_tag_immutable() and not same_manifest:
                raise ImageTagAlreadyExistsException(
                    f"The image tag '{image_tag}' already exists in the '{repository_name}' repository "
                    f"with registry ID '{repository.registry_id}' and cannot be overwritten because the "
                    "repository is immutable."
                ) from None
            raise

    models.ECRBackend.put_image = put_image


@patch(
    "ec2-describe-tags-resource-types",
    "EC2 DescribeTags reports and filters by the resource types of the EC2 API reference "
    "(DescribeTags, filter resource-type: 'natgateway', 'elastic-ip', ...); moto uses its own "
    "internal names ('nat-gateway', 'vpc-elastic-ip'), so amazon.aws's ensure_ec2_tags finds no "
    "tags on a NAT gateway and re-tags it on every run (ec2_vpc_nat_gateway never reports ok).",
)
def _ec2_describe_tags_resource_types():
    from moto.ec2.models import tags as tag_models

    moto_to_aws = {"nat-gateway": "natgateway", "vpc-elastic-ip": "elastic-ip"}
    aws_to_moto = {aws: moto for moto, aws in moto_to_aws.items()}
    original = tag_models.TagBackend.describe_tags

    def describe_tags(self, filters=None):
        if filters and "resource-type" in filters:
            filters = dict(filters)
            filters["resource-type"] = [aws_to_moto.get(v, v) for v in filters["resource-type"]]
        results = original(self, filters)
        for result in results:
            result["resource_type"] = moto_to_aws.get(result["resource_type"], result["resource_type"])
        return results

    tag_models.TagBackend.describe_tags = describe_tags


@patch(
    "ecs-update-service-new-deployment",
    "ECS UpdateService with a new task definition starts a new deployment: the PRIMARY deployment "
    "names the new revision (ECS API reference, UpdateService; Service.deployments). moto changes "
    "service.taskDefinition but leaves the old PRIMARY deployment in place, so a rollout can never be "
    "seen to finish. With no tasks to replace in the emulator, the new deployment completes at once.",
)
def _ecs_update_service_new_deployment():
    import uuid

    from moto.core.utils import utcnow
    from moto.ecs import models

    original = models.EC2ContainerServiceBackend.update_service

    def update_service(self, service_properties):
        service = original(self, dict(service_properties))
        if service.deployments and service.deployments[0].get("taskDefinition") != service.task_definition:
            deployment = dict(service.deployments[0])
            deployment_id = "ecs-svc/%d" % (uuid.uuid4().int % 10**19)
            deployment.update(
                id=deployment_id,
                taskDefinition=service.task_definition,
                createdAt=utcnow(),
                updatedAt=utcnow(),
                rolloutState="COMPLETED",
                rolloutStateReason="ECS deployment %s completed." % deployment_id,
            )
            service.deployments = [deployment]
        return service

    models.EC2ContainerServiceBackend.update_service = update_service


def apply() -> list:
    """Install every registered patch once; return their names."""
    global _APPLIED
    if not _APPLIED:
        for _name, _behaviour, func in PATCHES:
            func()
        _APPLIED = True
    return [name for name, _behaviour, _func in PATCHES]
