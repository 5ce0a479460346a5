"""In-process patches that make moto 5.2.5 behave like AWS where the stack needs it.

This file is the ONLY place where the test harness changes moto. Each patch names the
AWS behaviour it models and the moto gap it closes (see shared notes
"moto-5.2.5-coverage"). The collection's modules are never changed to please the
emulator: if a module needs a patch here, the module is doing what AWS documents.

Patches are applied by ``moto_launcher.py`` before the server answers its first
request. ``apply()`` is idempotent.
"""

from __future__ import annotations

import os

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



@patch(
    "ecs-create-service-keeps-deployment-settings",
    "ECS CreateService stores deploymentConfiguration (deploymentCircuitBreaker, minimum/maximum percent), "
    "capacityProviderStrategy (the service then has no launchType), healthCheckGracePeriodSeconds and "
    "enableExecuteCommand, and DescribeServices returns them (ECS API reference, CreateService request "
    "parameters; Service data type). moto drops all four on create and reports launchType EC2, so a "
    "circuit breaker cannot be verified and every second run sees drift.",
)
def _ecs_create_service_keeps_settings():
    from moto.ecs import responses

    original = responses.EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = original(self)
        service = result.result["service"]  # the Service object; serialised after this returns
        kept = {
            "deployment_configuration": self._get_param("deploymentConfiguration"),
            "capacity_provider_strategy": self._get_param("capacityProviderStrategy"),
            "health_check_grace_period_seconds": self._get_param("healthCheckGracePeriodSeconds"),
            "enable_execute_command": self._get_param("enableExecuteCommand"),
        }
        for attribute, value in kept.items():
            if value is not None:
                setattr(service, attribute, value)
        if kept["capacity_provider_strategy"] and not self._get_param("launchType"):
            service.launch_type = None
            for deployment in service.deployments:
                deployment["launchType"] = None
                deployment["capacityProviderStrategy"] = kept["capacity_provider_strategy"]
        return result

    responses.EC2ContainerServiceResponse.create_service = create_service


@patch(
    "ecs-service-tasks-follow-desired",
    "The ECS service scheduler starts desiredCount tasks and, once they run, the PRIMARY deployment's "
    "rolloutState becomes COMPLETED with runningCount == desiredCount (ECS developer guide, service scheduler "
    "and deployment circuit breaker; Deployment data type). Tasks of a service with serviceRegistries are "
    "registered in Cloud Map (instance ID = task ID, AWS_INSTANCE_IPV4 from the task's subnet, healthy once "
    "running) and deregistered when they stop (ECS developer guide, service discovery). moto starts no tasks "
    "(runningCount 0 unless the global MOTO_ECS_SERVICE_RUNNING, which cannot follow each service's count or a "
    "scale to 0) and registers nothing. Here every service settles at once: running = desired, one COMPLETED "
    "PRIMARY deployment of the current task definition, and its Cloud Map instances follow the count "
    "(WEBSTACK_ECS_TASKS=instant, the default). With WEBSTACK_ECS_TASKS=containers nothing settles here: "
    "ecs_tasks.py runs every task as a container and reports what runs.",
)
def _ecs_service_tasks_follow_desired():
    import ipaddress
    import uuid

    from moto.core.utils import utcnow
    from moto.ec2.models import ec2_backends
    from moto.ecs import models
    from moto.servicediscovery.models import servicediscovery_backends

    def _registry_backend(service):
        return servicediscovery_backends[service._account_id][service.region_name]

    def _task_ips(service, count):
        subnets = ((service.network_configuration or {}).get("awsvpcConfiguration") or {}).get("subnets") or []
        ips = []
        if subnets:
            ec2 = ec2_backends[service._account_id][service.region_name]
            for index, subnet in enumerate(ec2.describe_subnets(subnet_ids=subnets)):
                hosts = ipaddress.ip_network(subnet.cidr_block).hosts()
                for _skip in range(10):  # AWS reserves the first addresses of a subnet
                    next(hosts)
                ips.append((subnet, hosts))
        out = []
        for number in range(count):
            if ips:
                subnet, hosts = ips[number % len(ips)]
                out.append((str(next(hosts)), subnet.availability_zone))
            else:
                out.append(("10.255.0.%d" % (10 + number), service.region_name + "a"))
        return out

    def _sync_registry(service, count):
        family = (service.task_definition or "").rsplit("/", 1)[-1].split(":")[0]
        for registry in service.service_registries or []:
            backend = _registry_backend(service)
            service_id = registry["registryArn"].rsplit("/", 1)[-1]
            try:
                registry_service = backend.get_service(service_id)
            except Exception:  # noqa: BLE001 - a registry that no longer exists registers nothing
                continue
            mine = [i for i in registry_service.instances if i.attributes.get("ECS_SERVICE_NAME") == service.name]
            for instance in mine[count:]:
                backend.deregister_instance(service_id, instance.instance_id)
            for ip, zone in _task_ips(service, count)[len(mine):]:
                task_id = uuid.uuid4().hex
                backend.register_instance(
                    service_id,
                    task_id,
                    task_id,
                    {
                        "AWS_INSTANCE_IPV4": ip,
                        "AVAILABILITY_ZONE": zone,
                        "AWS_INIT_HEALTH_STATUS": "HEALTHY",
                        "ECS_CLUSTER_NAME": service.cluster_name,
                        "ECS_SERVICE_NAME": service.name,
                        "ECS_TASK_DEFINITION_FAMILY": family,
                    },
                )

    def _settle(service):
        service.running_count = service.desired_count
        service.pending_count = 0
        for deployment in service.deployments[:1]:
            deployment.update(
                taskDefinition=service.task_definition,
                desiredCount=service.desired_count,
                runningCount=service.desired_count,
                pendingCount=0,
                rolloutState="COMPLETED",
                rolloutStateReason="ECS deployment %s completed." % deployment["id"],
                networkConfiguration=service.network_configuration or None,
                updatedAt=utcnow(),
            )
        service.deployments = service.deployments[:1]
        _sync_registry(service, service.desired_count)
        return service

    original_create = models.EC2ContainerServiceBackend.create_service
    original_update = models.EC2ContainerServiceBackend.update_service
    original_delete = models.EC2ContainerServiceBackend.delete_service

    if os.environ.get("WEBSTACK_ECS_TASKS", "instant").strip().lower() == "containers":
        import ecs_tasks  # tools/emulators/ecs_tasks.py (its directory is on sys.path wherever patches apply)

        _containers_mode_scheduling(models, ecs_tasks, original_create, original_update)
        return

    def create_service(self, *args, **kwargs):
        return _settle(original_create(self, *args, **kwargs))

    def update_service(self, service_properties):
        return _settle(original_update(self, service_properties))

    def delete_service(self, cluster_name, service_name, force):
        service = self._get_service(cluster_name, service_name)
        _sync_registry(service, 0)
        return original_delete(self, cluster_name, service_name, force)

    models.EC2ContainerServiceBackend.create_service = create_service
    models.EC2ContainerServiceBackend.update_service = update_service
    models.EC2ContainerServiceBackend.delete_service = delete_service


def _containers_mode_scheduling(models, ecs_tasks, original_create, original_update):
    """WEBSTACK_ECS_TASKS=containers: nothing settles here, ecs_tasks.py's scheduler runs the tasks.

    CreateService and UpdateService only start a deployment, as on AWS (UpdateService: "a new deployment is
    started"; the previous ones stay ACTIVE while their tasks drain, rolloutState IN_PROGRESS until the new
    tasks run): the counts stay what really runs (moto would set runningCount = desiredCount), and
    forceNewDeployment starts a deployment of the same task definition. ListTasks filters by serviceName
    (the service's tasks have group "service:<name>") and, as the ECS API reference says, lists only tasks
    with desiredStatus RUNNING unless desiredStatus is given.
    """
    import uuid

    from moto.core.utils import utcnow

    def _in_progress(deployment):
        deployment.update(rolloutState="IN_PROGRESS", runningCount=0, pendingCount=0, failedTasks=0,
                          rolloutStateReason="ECS deployment %s in progress." % deployment["id"], updatedAt=utcnow())

    def create_service(self, *args, **kwargs):
        with ecs_tasks.STATE_LOCK:
            service = original_create(self, *args, **kwargs)
            service.running_count = 0
            service.pending_count = 0
            for deployment in service.deployments[:1]:
                _in_progress(deployment)
        return service

    def update_service(self, service_properties):
        force = bool(service_properties.get("force_new_deployment"))
        with ecs_tasks.STATE_LOCK:
            cluster = self._get_cluster(service_properties.get("cluster", "default"))
            before = self._get_service(cluster.name, service_properties["service"].split("/")[-1])
            old_deployments = list(before.deployments or [])
            counts = (before.running_count, before.pending_count)
            service = original_update(self, dict(service_properties))
            service.running_count, service.pending_count = counts
            old_ids = set(d["id"] for d in old_deployments)
            primary = service.deployments[0] if service.deployments else None
            if primary is not None and primary["id"] in old_ids and force:
                primary = dict(primary, id="ecs-svc/%d" % (uuid.uuid4().int % 10**19), createdAt=utcnow(),
                               taskDefinition=service.task_definition)
            if primary is not None and primary["id"] not in old_ids:
                _in_progress(primary)
                primary["status"] = "PRIMARY"
                primary["desiredCount"] = service.desired_count
                for deployment in old_deployments:
                    deployment["status"] = "ACTIVE"
                service.deployments = [primary] + old_deployments
            elif primary is not None:
                primary["desiredCount"] = service.desired_count
        return service

    original_list_tasks = models.EC2ContainerServiceBackend.list_tasks

    def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None, service_name=None,
                   desiredStatus=None):
        tasks = original_list_tasks(self, cluster_str, container_instance, family, started_by, None,
                                    desiredStatus or "RUNNING")
        if service_name:
            tasks = [t for t in tasks if t.group == "service:%s" % service_name.split("/")[-1]]
        return tasks

    models.EC2ContainerServiceBackend.create_service = create_service
    models.EC2ContainerServiceBackend.update_service = update_service
    models.EC2ContainerServiceBackend.list_tasks = list_tasks


@patch(
    "application-autoscaling-describe-policies-by-name",
    "Application Auto Scaling DescribeScalingPolicies returns only the policies named in PolicyNames "
    "(Application Auto Scaling API reference, DescribeScalingPolicies request parameters). moto ignores "
    "PolicyNames and returns every policy of the resource, so community.aws.application_autoscaling_policy "
    "(PolicyNames=[name], MaxResults=1) compares a second policy (memory) with the first one (CPU) and "
    "rewrites it on every run.",
)
def _application_autoscaling_policies_by_name():
    import json

    from moto.applicationautoscaling import responses

    def describe_scaling_policies(self):
        names = self._get_param("PolicyNames") or []
        _token, policies = self.applicationautoscaling_backend.describe_scaling_policies(
            service_namespace=self._get_param("ServiceNamespace"),
            resource_id=self._get_param("ResourceId"),
            scalable_dimension=self._get_param("ScalableDimension"),
            max_results=1000000,
            next_token=None,
        )
        if names:
            policies = [policy for policy in policies if policy.policy_name in names]
        start = int(self._get_param("NextToken") or 0)
        end = start + (self._get_int_param("MaxResults") or 100)
        return json.dumps(
            {
                "ScalingPolicies": [responses._build_policy(p) for p in policies[start:end]],
                "NextToken": str(end) if end < len(policies) else None,
            }
        )

    responses.ApplicationAutoScalingResponse.describe_scaling_policies = describe_scaling_policies

@patch(
    "elasticache-num-cache-clusters",
    "ElastiCache CreateReplicationGroup with NumCacheClusters=N (cluster mode disabled) creates N nodes, one "
    "primary and N-1 replicas (API reference, CreateReplicationGroup NumCacheClusters); moto counts only "
    "ReplicasPerNodeGroup and creates a single node.",
)
def _elasticache_num_cache_clusters():
    from moto.elasticache import models

    original = models.ReplicationGroup._set_node_members_clusters_disabled

    def set_members(self, *args, **kwargs):
        count = kwargs.get("num_cache_clusters") or 0
        if not kwargs.get("replicas_per_node_group") and count > 1:
            kwargs["replicas_per_node_group"] = count - 1
        return original(self, *args, **kwargs)

    models.ReplicationGroup._set_node_members_clusters_disabled = set_members


@patch(
    "elasticache-replication-group-members",
    "ElastiCache DescribeCacheClusters lists every node of a replication group as a cache cluster carrying "
    "ReplicationGroupId, SecurityGroups, CacheParameterGroup, CacheSubnetGroupName and EngineVersion (the "
    "replication group itself reports none of these); moto lists no member clusters at all.",
)
def _elasticache_replication_group_members():
    from moto.elasticache import models
    from moto.elasticache.exceptions import CacheClusterNotFound

    original = models.ElastiCacheBackend.describe_cache_clusters

    def members(backend):
        found = {}
        for group in backend.replication_groups.values():
            family = "valkey8" if group.engine == "valkey" else "redis7"
            for node_group in group.node_groups:
                for node in node_group["node_group_members"]:
                    found[node["cache_cluster_id"]] = {
                        "CacheClusterId": node["cache_cluster_id"],
                        "ReplicationGroupId": group.replication_group_id,
                        "CacheNodeType": group.cache_node_type,
                        "Engine": group.engine,
                        "EngineVersion": group.engine_version or "7.1.0",
                        "CacheClusterStatus": group.status,
                        "NumCacheNodes": 1,
                        "PreferredAvailabilityZone": node.get("preferred_availability_zone"),
                        "CacheSubnetGroupName": group.cache_subnet_group_name,
                        "SecurityGroups": [
                            {"SecurityGroupId": sg, "Status": "active"} for sg in group.security_group_ids or []
                        ],
                        "CacheParameterGroup": {
                            "CacheParameterGroupName": group.cache_parameter_group_name or "default." + family,
                            "ParameterApplyStatus": "in-sync",
                        },
                        "TransitEncryptionEnabled": group.transit_encryption_enabled,
                        "AtRestEncryptionEnabled": group.at_rest_encryption_enabled,
                        "AuthTokenEnabled": group.auth_token_enabled,
                        "ARN": group.arn.replace(":replicationgroup:" + group.replication_group_id,
                                                 ":cluster:" + node["cache_cluster_id"]),
                    }
        return found

    def describe_cache_clusters(self, cache_cluster_id=None):
        nodes = members(self)
        if cache_cluster_id:
            if cache_cluster_id in nodes:
                return [nodes[cache_cluster_id]]
            if cache_cluster_id not in self.cache_clusters:
                raise CacheClusterNotFound(cache_cluster_id)
        return original(self, cache_cluster_id) + ([] if cache_cluster_id else list(nodes.values()))

    models.ElastiCacheBackend.describe_cache_clusters = describe_cache_clusters


@patch(
    "elasticache-modify-replication-group",
    "ElastiCache ModifyReplicationGroup applies SecurityGroupIds, CacheParameterGroupName, EngineVersion and "
    "AuthToken with AuthTokenUpdateStrategy (ROTATE/SET; AUTH needs TransitEncryptionEnabled, otherwise "
    "InvalidParameterValue) (API reference, ModifyReplicationGroup); moto accepts them and ignores them.",
)
def _elasticache_modify_replication_group():
    from moto.core.utils import utcnow
    from moto.elasticache import responses
    from moto.elasticache.exceptions import InvalidParameterValueException

    original = responses.ElastiCacheResponse.modify_replication_group

    def modify_replication_group(self):
        group_id = self._get_param("ReplicationGroupId")
        group = self.elasticache_backend.replication_groups.get(group_id)
        if group is not None:
            token = self._get_param("AuthToken")
            if token is not None:
                if not group.transit_encryption_enabled:
                    raise InvalidParameterValueException(
                        "The AUTH token can only be set on a replication group with in-transit encryption enabled."
                    )
                group.auth_token_enabled = True
                group.auth_token_last_modified_date = utcnow()
            security_group_ids = self._get_param("SecurityGroupIds")
            if security_group_ids is not None:
                group.security_group_ids = list(security_group_ids)
            for param, attribute in (("CacheParameterGroupName", "cache_parameter_group_name"),
                                     ("EngineVersion", "engine_version")):
                value = self._get_param(param)
                if value is not None:
                    setattr(group, attribute, value)
        return original(self)

    responses.ElastiCacheResponse.modify_replication_group = modify_replication_group


@patch(
    "elasticache-deletion-completes",
    "ElastiCache DeleteReplicationGroup / DeleteCacheCluster answer with status 'deleting' and the resource is "
    "gone some minutes later (Describe* then raise ReplicationGroupNotFoundFault / CacheClusterNotFound); moto "
    "keeps it 'deleting' forever, so no waiter can finish. The harness treats 'deleting' as gone: the response "
    "still says 'deleting', the resource is removed at once.",
)
def _elasticache_deletion_completes():
    from moto.elasticache import models

    delete_group = models.ElastiCacheBackend.delete_replication_group
    delete_cluster = models.ElastiCacheBackend.delete_cache_cluster

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = delete_group(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        self.tagging_service.delete_all_tags_for_resource(group.arn)
        return group

    def delete_cache_cluster(self, cache_cluster_id):
        cluster = delete_cluster(self, cache_cluster_id)
        self.cache_clusters.pop(cache_cluster_id, None)
        self.tagging_service.delete_all_tags_for_resource(cluster.arn)
        return cluster

    models.ElastiCacheBackend.delete_replication_group = delete_replication_group
    models.ElastiCacheBackend.delete_cache_cluster = delete_cache_cluster


@patch(
    "elasticache-subnet-group-modify-delete",
    "ElastiCache ModifyCacheSubnetGroup replaces the description and subnets, DeleteCacheSubnetGroup removes the "
    "group and refuses one still used by a cluster or replication group (CacheSubnetGroupInUse) (API reference); "
    "moto implements neither (HTTP 500).",
)
def _elasticache_subnet_group_modify_delete():
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache import models, responses
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    # moto finds an error's service model through the exception's module name.
    CacheSubnetGroupInUse.__module__ = "moto.elasticache.exceptions"

    def _group(backend, name):
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        return backend.cache_subnet_groups[name]

    def modify_cache_subnet_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        old = _group(backend, name)
        new = models.CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=self._get_param("CacheSubnetGroupDescription")
            or old.cache_subnet_group_description,
            subnet_ids=self._get_param("SubnetIds") or old.subnet_ids,
            tags=old.tags,
        )
        backend.cache_subnet_groups[name] = new
        return ActionResult({"CacheSubnetGroup": new})

    def delete_cache_subnet_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        group = _group(backend, name)
        users = [g.replication_group_id for g in backend.replication_groups.values() if g.cache_subnet_group_name == name]
        users += [c.cache_cluster_id for c in backend.cache_clusters.values() if c.cache_subnet_group_name == name]
        if users:
            raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by {', '.join(users)}.")
        backend.cache_subnet_groups.pop(name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    responses.ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group
    responses.ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


@patch(
    "elasticache-reader-endpoint",
    "ElastiCache DescribeReplicationGroups reports, for a group with cluster mode disabled, NodeGroups[].ReaderEndpoint "
    "(Address, Port) beside PrimaryEndpoint (API reference, NodeGroup); moto keeps the reader address internally "
    "and returns no ReaderEndpoint.",
)
def _elasticache_reader_endpoint():
    from moto.elasticache import models

    original = models.ReplicationGroup.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        for node_group in self.node_groups:
            if node_group.get("reader_endpoint_address") and "reader_endpoint" not in node_group:
                node_group["reader_endpoint"] = {"address": node_group["reader_endpoint_address"], "port": self.port}

    models.ReplicationGroup.__init__ = init


@patch(
    "autoscaling-disable-metrics-collection",
    "Auto Scaling DisableMetricsCollection stops the named group metrics, or all of them when none are named "
    "(API reference); moto implements EnableMetricsCollection only and answers 500 NotImplemented, which fails "
    "amazon.aws.autoscaling_group on every update (it disables metrics unless metrics_collection is true).",
)
def _autoscaling_disable_metrics_collection():
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import EmptyResult

    def disable_metrics_collection(self):
        group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
        named = self._get_param("Metrics") or []
        group.metrics = [m for m in group.metrics if named and m not in named]
        return EmptyResult()

    AutoScalingResponse.disable_metrics_collection = disable_metrics_collection


@patch(
    "ec2-launch-template-versions",
    "EC2 CreateLaunchTemplate's TagSpecifications tag the template itself and are not launch data; "
    "DescribeLaunchTemplateVersions returns the data as given (API reference, RequestLaunchTemplateData). "
    "DeleteLaunchTemplateVersions deletes non-default versions, whose numbers are never reused. moto copies the "
    "template's own tags into version 1's TagSpecifications (so a module comparing data sees a change and adds "
    "version 2) and answers DeleteLaunchTemplateVersions with 500 NotImplemented (so amazon.aws.ec2_launch_template "
    "cannot delete a template with several versions).",
)
def _ec2_launch_template_versions():
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import InvalidLaunchTemplateVersionNotFound
    from moto.ec2.models import launch_templates as models
    from moto.ec2.responses.launch_templates import LaunchTemplates

    original_init = models.LaunchTemplate.__init__

    def init(self, backend, name, template_data, version_description, tag_spec):
        specs = [t for t in template_data.get("TagSpecifications", []) if t.get("ResourceType") != "launch-template"]
        template_data = dict(template_data, TagSpecifications=specs) if specs else dict(
            (k, v) for k, v in template_data.items() if k != "TagSpecifications")
        original_init(self, backend, name, template_data, version_description, tag_spec)

    def create_version(self, data, description):
        version = models.LaunchTemplateVersion(self, max([v.number for v in self.versions] or [0]) + 1, data, description)
        self.versions.append(version)
        return version

    def get_version(self, num):
        if str(num).lower() == "$latest":
            return self.versions[-1]
        if str(num).lower() == "$default":
            return self.default_version()
        found = [v for v in self.versions if str(v.number) == str(num)]
        if not found:
            raise InvalidLaunchTemplateVersionNotFound(template_id=self.id, version=num)
        return found[0]

    def default_version(self):
        return self.get_version(self.default_version_number)

    def delete_launch_template_versions(self):
        name = self._get_param("LaunchTemplateName")
        template = (self.ec2_backend.get_launch_template_by_name(name) if name
                    else self.ec2_backend.get_launch_template(self._get_param("LaunchTemplateId")))
        self.error_on_dryrun()
        done, failed = [], []
        for number in self._get_param("Versions", []) or []:
            row = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "VersionNumber": int(number)}
            matches = [v for v in template.versions if str(v.number) == str(number)]
            if not matches or template.is_default(matches[0]):
                code = "launchTemplateVersionDoesNotExist" if not matches else "unexpectedError"
                failed.append(dict(row, ResponseError={"Code": code, "Message": "cannot delete version %s" % number}))
                continue
            template.versions.remove(matches[0])
            done.append(row)
        return ActionResult({"SuccessfullyDeletedLaunchTemplateVersions": done,
                             "UnsuccessfullyDeletedLaunchTemplateVersions": failed})

    models.LaunchTemplate.__init__ = init
    models.LaunchTemplate.create_version = create_version
    models.LaunchTemplate.get_version = get_version
    models.LaunchTemplate.default_version = default_version
    LaunchTemplates.delete_launch_template_versions = delete_launch_template_versions


@patch(
    "autoscaling-tags-sorted",
    "Auto Scaling returns a group's Tags sorted by key (DescribeAutoScalingGroups, DescribeTags), whatever order "
    "they were written in; moto returns them in insertion order, so amazon.aws.autoscaling_group (which sorts what "
    "it reads and compares it with a fresh read) reports changed=true on every run of a group with two tags or more.",
)
def _autoscaling_tags_sorted():
    from moto.autoscaling.models import FakeAutoScalingGroup

    setter = FakeAutoScalingGroup.tags.fset

    def sorted_tags(self):
        return sorted(self._tags, key=lambda tag: tag.get("Key", ""))

    FakeAutoScalingGroup.tags = property(sorted_tags, setter)


@patch(
    "elbv2-alb-default-attributes",
    "DescribeLoadBalancerAttributes of an Application Load Balancer returns every attribute with its default, "
    "idle_timeout.timeout_seconds 60, routing.http2.enabled true, access logs off, desync mitigation defensive "
    "(ELBv2 API reference, LoadBalancerAttribute). moto leaves several out (idle_timeout on purpose, for Terraform), "
    "so amazon.aws.elb_application_lb fails with KeyError 'idle_timeout_timeout_seconds' when idle_timeout is set.",
)
def _elbv2_alb_default_attributes():
    from moto.elbv2 import models

    defaults = {
        "access_logs.s3.enabled": "false",
        "idle_timeout.timeout_seconds": "60",
        "routing.http2.enabled": "true",
        "routing.http.desync_mitigation_mode": "defensive",
        "routing.http.drop_invalid_header_fields.enabled": "false",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
        "routing.http.xff_client_port.enabled": "false",
        "waf.fail_open.enabled": "false",
    }
    original = models.FakeLoadBalancer.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.type == "application":
            for key, value in defaults.items():
                self.attrs.setdefault(key, value)

    models.FakeLoadBalancer.__init__ = init


@patch(
    "servicediscovery-list-services-filters",
    "Cloud Map ListServices with the filter NAMESPACE_ID (Condition EQ, one value; IN, several) returns only the "
    "services of those namespaces, each as a ServiceSummary: Id, Arn, Name, Type, Description, InstanceCount, "
    "DnsConfig, HealthCheckConfig, HealthCheckCustomConfig, CreateDate, and no NamespaceId (Cloud Map API "
    "reference, ListServices request parameters; ServiceFilter; ServiceSummary). moto ignores Filters and returns "
    "every service of the account with the full Service shape, so a caller that trusts the filter (as it may on "
    "AWS) would see other namespaces' services.",
)
def _servicediscovery_list_services_filters():
    import json

    from moto.servicediscovery import responses

    summary_keys = ("Id", "Arn", "Name", "Type", "Description", "DnsConfig", "HealthCheckConfig",
                    "HealthCheckCustomConfig", "CreateDate")

    def list_services(self):
        params = json.loads(self.body or "{}")
        services = list(self.servicediscovery_backend.list_services())
        for item in params.get("Filters") or []:
            if item.get("Name") == "NAMESPACE_ID":
                wanted = set(item.get("Values") or [])
                services = [s for s in services if s.namespace_id in wanted]
        out = []
        for service in services:
            body = service.to_json()
            summary = dict((key, body[key]) for key in summary_keys if body.get(key) is not None)
            summary["InstanceCount"] = len(service.instances)
            out.append(summary)
        return json.dumps({"Services": out})

    responses.ServiceDiscoveryResponse.list_services = list_services


@patch(
    "ecs-describe-task-definition-latest-active",
    "ECS DescribeTaskDefinition with a family and no revision describes the family's latest ACTIVE revision "
    "(ECS API reference, DescribeTaskDefinition taskDefinition: 'If a revision isn't specified, the latest ACTIVE "
    "revision is used'); moto returns the highest revision even when it was deregistered (INACTIVE).",
)
def _ecs_describe_task_definition_latest_active():
    from moto.ecs import models
    from moto.ecs.exceptions import TaskDefinitionNotFoundException

    original = models.EC2ContainerServiceBackend.describe_task_definition

    def describe_task_definition(self, task_definition_str):
        family = task_definition_str.split("/")[-1]
        if ":" in family:
            return original(self, task_definition_str)
        active = [rev for rev, definition in (self.task_definitions.get(family) or {}).items()
                  if definition.status == "ACTIVE"]
        if not active:
            raise TaskDefinitionNotFoundException()
        return self.task_definitions[family][max(active)]

    models.EC2ContainerServiceBackend.describe_task_definition = describe_task_definition


@patch(
    "ecs-deleted-task-definition-revisions-are-not-reused",
    "ECS DeleteTaskDefinitions: 'The task definition name is retained by Amazon ECS and the revision is "
    "incremented the next time you create a task definition with that name' (ECS API reference, "
    "DeleteTaskDefinitions); moto drops the deleted revisions and numbers the next registration of an emptied "
    "family 1 again, so a deploy after a destroy would reuse the ARNs of deleted revisions.",
)
def _ecs_deleted_task_definition_revisions_not_reused():
    from moto.ecs import models

    original_delete = models.EC2ContainerServiceBackend.delete_task_definitions
    original_last = models.EC2ContainerServiceBackend._get_last_task_definition_revision_id

    def delete_task_definitions(self, task_definitions):
        deleted, failures = original_delete(self, task_definitions)
        retained = self.__dict__.setdefault("_webstack_retained_revisions", {})
        for definition in deleted:
            retained[definition.family] = max(retained.get(definition.family, 0), definition.revision)
        return deleted, failures

    def _get_last_task_definition_revision_id(self, family):
        last = original_last(self, family)
        retained = self.__dict__.get("_webstack_retained_revisions", {}).get(family)
        if retained is None:
            return last
        return max(last or 0, retained)

    models.EC2ContainerServiceBackend.delete_task_definitions = delete_task_definitions
    models.EC2ContainerServiceBackend._get_last_task_definition_revision_id = _get_last_task_definition_revision_id


@patch(
    "ecr-image-index-digest",
    "An image's digest is the sha256 of its manifest as pushed (OCI distribution spec, content digests; ECR "
    "PutImage returns it as imageId.imageDigest); moto gives a manifest without layers (an image index or "
    "manifest list, a multi-platform image) one of 101 random digests, so two indexes in a repository may share "
    "a digest and a task definition pinned by digest may run the other one.",
)
def _ecr_image_index_digest():
    import hashlib
    import json

    from moto.ecr import models

    original = models.Image._create_digest

    def _create_digest(self):
        if "layers" in json.loads(self.image_manifest):
            return original(self)  # moto's digest for image manifests is left as it is
        self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode("utf-8")).hexdigest()

    models.Image._create_digest = _create_digest


@patch(
    "ecr-get-download-url-for-layer-not-found",
    "ECR GetDownloadUrlForLayer answers LayersNotFoundException for a digest that is not a layer of the "
    "repository (ECR API reference, GetDownloadUrlForLayer errors); moto raises NotImplementedError for every "
    "call, an HTTP 500 that clients retry up to their attempt limit. moto keeps no layer bytes, so for a layer "
    "uploaded through InitiateLayerUpload it still has no download URL (NotImplementedError, as before).",
)
def _ecr_get_download_url_for_layer_not_found():
    from moto.core.exceptions import ServiceException
    from moto.ecr import responses

    class LayersNotFoundException(ServiceException):
        code = "LayersNotFoundException"

    # moto finds an error's service model through the exception's module name.
    LayersNotFoundException.__module__ = "moto.ecr.exceptions"

    original = responses.ECRResponse.get_download_url_for_layer

    def get_download_url_for_layer(self):
        repository = self.ecr_backend._get_repository(self._get_param("repositoryName"), self._get_param("registryId"))
        digest = self._get_param("layerDigest")
        if digest not in repository.layers:
            raise LayersNotFoundException(
                f"The specified layers could not be found, or the specified layer is not valid for this repository: {digest}"
            )
        return original(self)

    responses.ECRResponse.get_download_url_for_layer = get_download_url_for_layer


@patch(
    "ec2-delete-referenced-security-group",
    "EC2 DeleteSecurityGroup fails with DependencyViolation ('resource sg-... has a dependent object') when the "
    "group is referenced by an ingress or egress rule (UserIdGroupPairs) of another security group in the same VPC "
    "(EC2 API reference, DeleteSecurityGroup); a group's rules naming the group itself do not block it. moto deletes "
    "the group and leaves the other group's rules naming a group that no longer exists, so a destroy that deletes a "
    "referenced group before the groups that reference it (or without revoking a cycle) passes here and fails on AWS.",
)
def _ec2_delete_referenced_security_group():
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.responses.security_groups import SecurityGroups

    original = SecurityGroups.delete_security_group

    def delete_security_group(self):
        self.error_on_dryrun()  # DryRun answers DryRunOperation before any dependency is looked at, as on AWS
        backend = self.ec2_backend
        name, group_id = self._get_param("GroupName"), self._get_param("GroupId")
        group = backend.get_security_group_by_name_or_id(name) if name else (
            backend.get_security_group_from_id(group_id) if group_id else None)
        if group is not None:
            for vpc_groups in list(backend.groups.values()):
                for other in list(vpc_groups.values()):
                    if other.id == group.id or other.vpc_id != group.vpc_id:
                        continue
                    if any(rule.source_group.get("GroupId") == group.id
                           for rule in list(other.ingress_rules) + list(other.egress_rules)):
                        raise DependencyViolationError("resource %s has a dependent object" % group.id)
        return original(self)  # an unknown group: moto's InvalidGroup.NotFound

    SecurityGroups.delete_security_group = delete_security_group


def apply() -> list:
    """Install every registered patch once; return their names."""
    global _APPLIED
    if not _APPLIED:
        for _name, _behaviour, func in PATCHES:
            func()
        _APPLIED = True
    return [name for name, _behaviour, _func in PATCHES]
