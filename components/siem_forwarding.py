"""SiemForwarding: playbook §4 "Forward to SIEM for anomaly detection".

One log sink per environment routes the structured application logs and the audit logs to a
Pub/Sub topic. A Dataflow job running Google's "Pub/Sub to Datadog" template
(https://cloud.google.com/dataflow/docs/guides/templates/provided/pubsub-to-datadog) reads
them from a pull subscription and sends them to Datadog's log intake, where the SIEM's
detection rules run. docs/architecture.md, "SIEM forwarding", says why a Dataflow job and not
a push subscription.

- **Secret**: the job reads the Datadog API key from Secret Manager (``apiKeySource``
  ``SECRET_MANAGER``, ``apiKeySecretId`` the catalogue secret's ``latest`` version). The key is
  in no resource input: a project viewer who reads the job or the subscriptions sees the
  secret's name, never its value. The secret is the vault's catalogue entry, with the vault's
  quarterly rotation notices; the worker account reads it through the vault's binding.
- **Dead letters**: what Datadog refuses, the job publishes to the dead-letter topic
  (``outputDeadletterTopic``); what the job never acknowledges, Pub/Sub moves there after
  ``maxDeliveryAttempts`` (the subscription's dead-letter policy). Pub/Sub's dead-lettering
  needs its service agent to publish to the dead-letter topic and to subscribe to the source
  subscription (https://cloud.google.com/pubsub/docs/handling-failures): both are granted. A
  pull subscription on the dead-letter topic keeps the messages for inspection and replay.
- **Personal data**: the sink drops, before anything leaves the project, every entry that has a
  ``jsonPayload`` field known to carry personal data (one exclusion filter per field). Cloud
  Logging's router keeps or drops whole entries: it cannot remove one field, so the audit logs
  leave with their ``principalEmail`` and ``callerIp`` (what the SIEM needs to spot an anomaly).
- **CMEK**: the topics, the job (``kmsKeyName``) and its temporary bucket are encrypted with the
  component's own key, usable by the Pub/Sub, Cloud Storage, Dataflow and Compute Engine
  service agents (https://cloud.google.com/dataflow/docs/guides/customer-managed-encryption-keys).
- **Worker account**: a dedicated service account with the Dataflow worker role on the project
  and, on their resources only, subscriber and viewer on the subscription, publisher on the
  dead-letter topic, object admin on the temporary bucket and accessor on the API key secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.cmek import crypto_key, grant_key
from components.secret_vault import SecretBinding
from config.siem import SiemAlertsSpec, SiemSpec
from controlplane.naming import DAY_SECONDS, Naming

COMPONENT = "siem"
PUBLISHER_ROLE = "roles/pubsub.publisher"
SUBSCRIBER_ROLE = "roles/pubsub.subscriber"
PUBSUB_VIEWER_ROLE = "roles/pubsub.viewer"
DATAFLOW_WORKER_ROLE = "roles/dataflow.worker"
BUCKET_ROLE = "roles/storage.objectAdmin"
TEMPLATE = "Cloud_PubSub_to_Datadog"
"""Google's classic template of the Pub/Sub to Datadog pipeline."""
TEMP_OBJECT_DAYS = 7
"""Days the job's temporary and staging files are kept."""


def template_path(region: str, version: str) -> str:
    """The Google-provided template in the job's region (``gs://dataflow-templates-<region>``)."""
    return f"gs://dataflow-templates-{region}/{version}/{TEMPLATE}"


def secret_version(project: str, secret_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """``projects/<project>/secrets/<id>/versions/latest``: the template's ``apiKeySecretId``."""
    return pulumi.Output.concat("projects/", project, "/secrets/", secret_id, "/versions/latest")


def pii_exclusions(spec: SiemSpec) -> list[gcp.logging.ProjectSinkExclusionArgs]:
    """One sink exclusion per field known to carry personal data."""
    return [
        gcp.logging.ProjectSinkExclusionArgs(
            name=f"pii-{field.replace('.', '-').replace('_', '-')}",
            filter=f"jsonPayload.{field}:*",
            description=f"Entries with jsonPayload.{field} carry personal data: not forwarded",
        )
        for field in spec.pii_fields
    ]


@dataclass(frozen=True)
class SiemForwardingArgs:
    """Inputs of :class:`SiemForwarding`."""

    naming: Naming
    """Names and labels of the environment."""

    project: str
    """GCP project id whose logs are forwarded."""

    region: str
    """Region of the topics' messages, the job, its bucket and the KMS key."""

    spec: SiemSpec
    """The validated ``controlplane:siem`` section."""

    api_key_secret_id: pulumi.Input[str]
    """Secret Manager id of the catalogue secret holding the Datadog API key."""

    secrets: SecretBinding
    """The vault's binding of the ``siem`` reader: accessor on the API key secret."""

    protect: bool
    """Protect the KMS key and the bucket from deletion (staging and prod)."""


class SiemForwarding(pulumi.ComponentResource):
    """The log sink, the CMEK-encrypted topics and the Dataflow job that sends to Datadog."""

    topic: str
    """Full name of the SIEM topic (``projects/<project>/topics/<org>-<env>-siem-logs``)."""

    dead_letter_topic: str
    """Full name of the dead-letter topic."""

    subscription: str
    """Full name of the pull subscription the job reads."""

    subscription_id: str
    """Short id of that subscription (the ``subscription_id`` tag of its Datadog metrics)."""

    dead_letter_subscription_id: str
    """Short id of the dead-letter hold subscription."""

    project: str
    """GCP project of the topics and subscriptions."""

    alerts: SiemAlertsSpec
    """``siem.alerts``: thresholds of the health monitors (:mod:`components.siem_health`)."""

    job_name: str
    """Name of the Dataflow job."""

    service_account_email: pulumi.Output[str]
    """The job's worker service account."""

    def __init__(
        self,
        name: str,
        args: SiemForwardingArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("controlplane:runtime:SiemForwarding", name, None, opts)
        naming, spec, project = args.naming, args.spec, args.project
        child = pulumi.ResourceOptions(parent=self)
        labels = naming.labels(component=COMPONENT)

        # The Pub/Sub service agent encrypts the topics and dead-letters; declaring its identity
        # makes sure it exists before it is granted anything.
        pubsub_agent = gcp.projects.ServiceIdentity(
            f"{name}-pubsub-agent", project=project, service="pubsub.googleapis.com", opts=child
        )
        kms_key_name, key_grants = self._cmek(name, args, pubsub_agent)

        # Plain full names (not the resources' outputs), so the sink's destination, the
        # subscriptions' topics and the job's parameters read the same at preview time as
        # after the deploy, and the policy pack can follow them.
        topic_id = naming.physical(COMPONENT, "logs")
        dead_letter_id = naming.physical(COMPONENT, "dead-letter")
        subscription_id = naming.physical(COMPONENT, "datadog")
        self.topic = f"projects/{project}/topics/{topic_id}"
        self.dead_letter_topic = f"projects/{project}/topics/{dead_letter_id}"
        self.subscription = f"projects/{project}/subscriptions/{subscription_id}"
        self.subscription_id = subscription_id
        self.project = project
        self.alerts = spec.alerts
        self.dead_letter_subscription_id = dead_letter_id
        storage = gcp.pubsub.TopicMessageStoragePolicyArgs(
            allowed_persistence_regions=[args.region]
        )
        encrypted = pulumi.ResourceOptions(parent=self, depends_on=key_grants)
        topic = gcp.pubsub.Topic(
            f"{name}-logs",
            name=topic_id,
            project=project,
            labels=labels,
            kms_key_name=kms_key_name,
            message_storage_policy=storage,
            opts=encrypted,
        )
        dead_letter = gcp.pubsub.Topic(
            f"{name}-dead-letter",
            name=dead_letter_id,
            project=project,
            labels=labels,
            kms_key_name=kms_key_name,
            message_storage_policy=storage,
            opts=encrypted,
        )
        # A topic keeps nothing by itself: this subscription holds what did not reach Datadog.
        gcp.pubsub.Subscription(
            f"{name}-dead-letter-hold",
            name=dead_letter_id,
            project=project,
            topic=self.dead_letter_topic,
            labels=labels,
            message_retention_duration=f"{spec.dead_letter_retention_days * DAY_SECONDS}s",
            retain_acked_messages=False,
            expiration_policy=gcp.pubsub.SubscriptionExpirationPolicyArgs(ttl=""),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[dead_letter]),
        )
        agent_publisher = gcp.pubsub.TopicIAMMember(
            f"{name}-dead-letter-pubsub-agent",
            project=project,
            topic=dead_letter.name,
            role=PUBLISHER_ROLE,
            member=pubsub_agent.member,
            opts=child,
        )
        subscription = gcp.pubsub.Subscription(
            f"{name}-datadog",
            name=subscription_id,
            project=project,
            topic=self.topic,
            labels=labels,
            ack_deadline_seconds=60,
            message_retention_duration=f"{7 * DAY_SECONDS}s",
            dead_letter_policy=gcp.pubsub.SubscriptionDeadLetterPolicyArgs(
                dead_letter_topic=self.dead_letter_topic,
                max_delivery_attempts=spec.max_delivery_attempts,
            ),
            retry_policy=gcp.pubsub.SubscriptionRetryPolicyArgs(
                minimum_backoff="10s", maximum_backoff="600s"
            ),
            expiration_policy=gcp.pubsub.SubscriptionExpirationPolicyArgs(ttl=""),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[topic, agent_publisher]),
        )
        agent_subscriber = gcp.pubsub.SubscriptionIAMMember(
            f"{name}-datadog-pubsub-agent",
            project=project,
            subscription=subscription.name,
            role=SUBSCRIBER_ROLE,
            member=pubsub_agent.member,
            opts=child,
        )

        sink = gcp.logging.ProjectSink(
            f"{name}-sink",
            name=naming.physical(COMPONENT),
            project=project,
            destination=f"pubsub.googleapis.com/{self.topic}",
            filter=spec.filter,
            exclusions=pii_exclusions(spec),
            description="Routes the application and audit logs to the SIEM (Datadog), "
            "without the entries that carry personal data",
            unique_writer_identity=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[topic]),
        )
        gcp.pubsub.TopicIAMMember(
            f"{name}-sink-publisher",
            project=project,
            topic=topic.name,
            role=PUBLISHER_ROLE,
            member=sink.writer_identity,
            opts=child,
        )

        account = gcp.serviceaccount.Account(
            f"{name}-worker",
            account_id=naming.physical(COMPONENT, "worker", max_len=30),
            project=project,
            display_name=f"SIEM forwarding to Datadog ({naming.env})",
            description="Runs the Dataflow job that sends the SIEM topic's logs to Datadog.",
            opts=child,
        )
        self.service_account_email = account.email
        bucket = self._temp_bucket(name, args, key_grants)
        worker_grants = self._worker_grants(
            name, args, account.member, subscription, dead_letter, bucket
        )
        self.job_name = naming.physical(COMPONENT, "datadog")
        gcp.dataflow.Job(
            f"{name}-job",
            name=self.job_name,
            project=project,
            region=args.region,
            template_gcs_path=template_path(args.region, spec.dataflow.template_version),
            temp_gcs_location=pulumi.Output.concat("gs://", bucket.name, "/temp"),
            service_account_email=account.email,
            kms_key_name=kms_key_name,
            machine_type=spec.dataflow.machine_type,
            max_workers=spec.dataflow.max_workers,
            enable_streaming_engine=True,
            labels=labels,
            on_delete="drain",
            parameters={
                "inputSubscription": self.subscription,
                "url": spec.intake_url,
                "apiKeySource": "SECRET_MANAGER",
                "apiKeySecretId": secret_version(project, args.api_key_secret_id),
                "outputDeadletterTopic": self.dead_letter_topic,
                "batchCount": str(spec.dataflow.batch_count),
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*worker_grants, agent_subscriber, *key_grants],
            ),
        )
        self.register_outputs(
            {
                "topic": self.topic,
                "deadLetterTopic": self.dead_letter_topic,
                "subscription": self.subscription,
                "jobName": self.job_name,
                "serviceAccountEmail": self.service_account_email,
            }
        )

    def _temp_bucket(
        self, name: str, args: SiemForwardingArgs, key_grants: Sequence[pulumi.Resource]
    ) -> gcp.storage.Bucket:
        """The job's temporary and staging files, in its region, deleted after a week."""
        key = self._key
        return gcp.storage.Bucket(
            f"{name}-dataflow",
            name=args.naming.physical(COMPONENT, "dataflow"),
            project=args.project,
            location=args.region,
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=False,
            labels=args.naming.labels(component=COMPONENT),
            encryption=(
                gcp.storage.BucketEncryptionArgs(default_kms_key_name=key.id)
                if key is not None
                else None
            ),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=TEMP_OBJECT_DAYS),
                )
            ],
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=list(key_grants)
            ),
        )

    def _worker_grants(
        self,
        name: str,
        args: SiemForwardingArgs,
        member: pulumi.Output[str],
        subscription: gcp.pubsub.Subscription,
        dead_letter: gcp.pubsub.Topic,
        bucket: gcp.storage.Bucket,
    ) -> list[pulumi.Resource]:
        """The worker account's roles, each on the one resource it needs."""
        child = pulumi.ResourceOptions(parent=self)
        grants: list[pulumi.Resource] = [
            gcp.projects.IAMMember(
                f"{name}-worker-dataflow",
                project=args.project,
                role=DATAFLOW_WORKER_ROLE,
                member=member,
                opts=child,
            ),
            *(
                gcp.pubsub.SubscriptionIAMMember(
                    f"{name}-worker-{suffix}",
                    project=args.project,
                    subscription=subscription.name,
                    role=role,
                    member=member,
                    opts=child,
                )
                for suffix, role in (
                    ("subscriber", SUBSCRIBER_ROLE),
                    ("viewer", PUBSUB_VIEWER_ROLE),
                )
            ),
            gcp.pubsub.TopicIAMMember(
                f"{name}-worker-dead-letter",
                project=args.project,
                topic=dead_letter.name,
                role=PUBLISHER_ROLE,
                member=member,
                opts=child,
            ),
            gcp.storage.BucketIAMMember(
                f"{name}-worker-bucket",
                bucket=bucket.name,
                role=BUCKET_ROLE,
                member=member,
                opts=child,
            ),
        ]
        grants += args.secrets.grant(member)
        return grants

    def _cmek(
        self, name: str, args: SiemForwardingArgs, pubsub_agent: gcp.projects.ServiceIdentity
    ) -> tuple[pulumi.Output[str] | None, list[pulumi.Resource]]:
        """A key in the region, usable by the agents of Pub/Sub, Storage, Dataflow, Compute."""
        self._key: gcp.kms.CryptoKey | None = None
        if not args.spec.cmek.enabled:
            return None, []
        key = crypto_key(
            self,
            ring_name=f"{name}-keyring",
            key_name=f"{name}-key",
            naming=args.naming,
            component=COMPONENT,
            role="forwarding",
            project=args.project,
            location=args.region,
            rotation_days=args.spec.cmek.rotation_days,
            protect=args.protect,
        )
        self._key = key
        child = pulumi.ResourceOptions(parent=self)
        agents: list[tuple[str, pulumi.Output[str], list[pulumi.Resource]]] = [
            ("pubsub", pubsub_agent.member, [pubsub_agent])
        ]
        # The Dataflow service agent and the Compute Engine service agent encrypt the job's
        # state and its workers' disks.
        for service in ("dataflow", "compute"):
            identity = gcp.projects.ServiceIdentity(
                f"{name}-{service}-agent",
                project=args.project,
                service=f"{service}.googleapis.com",
                opts=child,
            )
            agents.append((service, identity.member, [identity]))
        gcs_agent = gcp.storage.get_project_service_account_output(
            project=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        agents.append(("storage", gcs_agent.member, []))
        grants: list[pulumi.Resource] = [
            grant_key(self, f"{name}-key-{service}", key, member, depends_on=deps)
            for service, member, deps in agents
        ]
        return key.id, grants
