"""The type tokens and camelCase input paths the pack reads exist in the installed SDKs.

The pack never imports a provider SDK, so nothing else would notice a renamed input after an
upgrade: every policy would silently see "missing". This scans the SDK sources as text.
"""

from __future__ import annotations

import re

import pytest

from policies._lib import gcp
from policies._lib.gcp import iam_kind
from tests.support.policies_sdk import camel, getters, sdk_dir, tokens


@pytest.mark.parametrize(
    "token",
    [
        gcp.CLOUD_RUN_SERVICE,
        gcp.CLOUD_RUN_JOB,
        gcp.CLOUD_RUN_WORKER_POOL,
        gcp.CLOUD_RUN_SERVICE_IAM_MEMBER,
        gcp.CLOUD_RUN_SERVICE_IAM_BINDING,
        gcp.SERVICE_ACCOUNT_KEY,
        gcp.SECRET,
        gcp.BUCKET,
        gcp.KMS_CRYPTO_KEY,
        gcp.PROJECT_LOG_BUCKET,
        gcp.PROJECT_AUDIT_CONFIG,
    ],
)
def test_gcp_tokens_exist(token):
    assert token in tokens("pulumi_gcp")


def test_datadog_monitor_token_exists():
    assert gcp.DATADOG_MONITOR in tokens("pulumi_datadog")


# (module, class, properties read by the pack)
SHAPES = [
    ("cloudrunv2", "ServiceArgs", {"template", "labels"}),
    ("cloudrunv2", "ServiceTemplateArgs", {"serviceAccount", "containers"}),
    ("cloudrunv2", "ServiceTemplateContainerArgs", {"envs"}),
    ("cloudrunv2", "ServiceTemplateContainerEnvArgs", {"name", "value", "valueSource"}),
    ("cloudrunv2", "ServiceTemplateContainerEnvValueSourceArgs", {"secretKeyRef"}),
    ("cloudrunv2", "ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs", {"secret", "version"}),
    ("cloudrunv2", "JobArgs", {"template"}),
    ("cloudrunv2", "JobTemplateArgs", {"template"}),
    ("cloudrunv2", "JobTemplateTemplateArgs", {"serviceAccount", "containers"}),
    ("cloudrunv2", "JobTemplateTemplateContainerArgs", {"envs"}),
    ("cloudrunv2", "JobTemplateTemplateContainerEnvArgs", {"name", "value", "valueSource"}),
    ("cloudrunv2", "WorkerPoolTemplateArgs", {"serviceAccount", "containers"}),
    ("cloudrunv2", "ServiceIamMemberArgs", {"name", "role", "member"}),
    ("cloudrunv2", "ServiceIamBindingArgs", {"name", "role", "members"}),
    ("secretmanager", "SecretArgs", {"rotation", "topics", "replication", "labels"}),
    ("secretmanager", "SecretRotationArgs", {"rotationPeriod", "nextRotationTime"}),
    ("secretmanager", "SecretTopicArgs", {"name"}),
    ("secretmanager", "SecretReplicationArgs", {"auto", "userManaged"}),
    ("secretmanager", "SecretReplicationAutoArgs", {"customerManagedEncryption"}),
    ("secretmanager", "SecretReplicationAutoCustomerManagedEncryptionArgs", {"kmsKeyName"}),
    ("secretmanager", "SecretReplicationUserManagedArgs", {"replicas"}),
    ("secretmanager", "SecretReplicationUserManagedReplicaArgs", {"customerManagedEncryption"}),
    (
        "secretmanager",
        "SecretReplicationUserManagedReplicaCustomerManagedEncryptionArgs",
        {"kmsKeyName"},
    ),
    (
        "storage",
        "BucketArgs",
        {
            "uniformBucketLevelAccess",
            "publicAccessPrevention",
            "encryption",
            "lifecycleRules",
            "labels",
        },
    ),
    ("storage", "BucketEncryptionArgs", {"defaultKmsKeyName"}),
    ("storage", "BucketLifecycleRuleArgs", {"action", "condition"}),
    ("storage", "BucketLifecycleRuleActionArgs", {"type"}),
    ("storage", "BucketLifecycleRuleConditionArgs", {"age"}),
    ("logging", "ProjectBucketConfigArgs", {"retentionDays"}),
    ("projects", "IAMAuditConfigArgs", {"service", "auditLogConfigs"}),
    ("projects", "IAMAuditConfigAuditLogConfigArgs", {"logType"}),
    ("projects", "IAMMemberArgs", {"role", "member"}),
    ("projects", "IAMBindingArgs", {"role", "members"}),
    ("projects", "IAMPolicyArgs", {"policyData"}),
]


@pytest.mark.parametrize(
    ("module", "class_name", "names"), SHAPES, ids=lambda v: v if isinstance(v, str) else None
)
def test_gcp_input_names_exist(module, class_name, names):
    assert names <= getters("pulumi_gcp", module, class_name)


def test_datadog_monitor_has_tags():
    assert "tags" in getters("pulumi_datadog", ".", "MonitorArgs")


def test_every_iam_grant_type_has_the_inputs_the_pack_reads():
    expected = {
        "member": {"role", "member"},
        "binding": {"role", "members"},
        "policy": {"policyData"},
    }
    grants = [t for t in tokens("pulumi_gcp") if iam_kind(t)]
    assert len(grants) > 400
    root = sdk_dir("pulumi_gcp")
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(
            r'@pulumi\.type_token\("(gcp:[^"]+)"\)\nclass \w+\(pulumi\.CustomResource\)', text
        ):
            kind = iam_kind(match.group(1))
            if kind is None:
                continue
            start = text.find("def _internal_init", match.end())
            body = text[start : text.find("def get(", start)]
            inputs = {
                camel(n)
                for n, v in re.findall(r'__props__\.__dict__\["(\w+)"\] = (\w+)\n', body)
                if n == v
            }
            assert expected[kind] <= inputs, match.group(1)


def test_iam_kind_does_not_match_lookalikes():
    assert iam_kind("gcp:projects/iamMemberRemove:IamMemberRemove") is None
    assert iam_kind("gcp:iam/projectsPolicyBinding:ProjectsPolicyBinding") is None
    assert iam_kind("gcp:iam/denyPolicy:DenyPolicy") is None
    assert iam_kind("aws:iam/policy:Policy") is None
    assert iam_kind("gcp:storage/bucketIAMMember:BucketIAMMember") == "member"
    assert iam_kind("gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding") == "binding"
    assert iam_kind("gcp:organizations/iAMPolicy:IAMPolicy") == "policy"
