"""The log routing, audit and key-ownership policies read tokens and inputs the SDK has.

Like test_gcp_shapes.py, for the types ``policies/_lib/logrouting.py``, CP-AUD-006 and CP-ENC-004
name: a renamed input after an upgrade would otherwise read as "missing" everywhere.
"""

from __future__ import annotations

import pytest

from policies._lib import logrouting as lr
from policies.audit import audit_auditconfig_disallow_exemptions as exemptions
from policies.encryption import encryption_store_enforce_own_keys as own_keys
from tests.support.policies_sdk import getters, tokens

TOKENS = sorted(
    {
        *lr.ROUTING_TYPES,
        *exemptions.AUDIT_CONFIGS,
        *exemptions.IAM_POLICIES,
        *own_keys.STORES,
        own_keys.CRYPTO_KEY,
        own_keys.KEY_RING,
    }
)


@pytest.mark.parametrize("token", TOKENS)
def test_tokens_exist(token):
    assert token in tokens("pulumi_gcp")


SHAPES = [
    (
        "logging",
        "ProjectSinkArgs",
        {"name", "project", "destination", "filter", "disabled", "exclusions"},
    ),
    ("logging", "ProjectSinkExclusionArgs", {"filter", "disabled"}),
    ("logging", "FolderSinkArgs", {"interceptChildren", "includeChildren"}),
    ("logging", "OrganizationSinkArgs", {"interceptChildren", "includeChildren"}),
    ("logging", "ProjectExclusionArgs", {"filter", "disabled"}),
    ("logging", "FolderExclusionArgs", {"filter", "disabled"}),
    ("logging", "OrganizationExclusionArgs", {"filter", "disabled"}),
    ("logging", "BillingAccountExclusionArgs", {"filter", "disabled"}),
    ("logging", "FolderSettingsArgs", {"disableDefaultSink"}),
    ("logging", "OrganizationSettingsArgs", {"disableDefaultSink"}),
    (
        "logging",
        "ProjectBucketConfigArgs",
        {"project", "location", "bucketId", "retentionDays", "cmekSettings"},
    ),
    ("logging", "ProjectBucketConfigCmekSettingsArgs", {"kmsKeyName"}),
    ("storage", "BucketArgs", {"name", "forceDestroy", "lifecycleRules", "location"}),
    (
        "storage",
        "BucketLifecycleRuleConditionArgs",
        {
            "age",
            "createdBefore",
            "customTimeBefore",
            "daysSinceCustomTime",
            "daysSinceNoncurrentTime",
            "noncurrentTimeBefore",
            "numNewerVersions",
            "withState",
        },
    ),
    ("projects", "IAMAuditConfigAuditLogConfigArgs", {"logType", "exemptedMembers"}),
    ("folder", "IamAuditConfigArgs", {"service", "auditLogConfigs"}),
    ("organizations", "IamAuditConfigArgs", {"service", "auditLogConfigs"}),
    ("pubsub", "TopicArgs", {"kmsKeyName", "project"}),
    ("secretmanager", "RegionalSecretArgs", {"customerManagedEncryption", "location"}),
    ("secretmanager", "RegionalSecretCustomerManagedEncryptionArgs", {"kmsKeyName"}),
    ("secretmanager", "SecretReplicationUserManagedReplicaArgs", {"location"}),
    ("bigquery", "DatasetArgs", {"defaultEncryptionConfiguration", "location"}),
    ("bigquery", "DatasetDefaultEncryptionConfigurationArgs", {"kmsKeyName"}),
    ("kms", "KeyRingArgs", {"project", "location", "name"}),
    ("kms", "CryptoKeyArgs", {"keyRing", "name"}),
]


@pytest.mark.parametrize(
    ("module", "class_name", "names"), SHAPES, ids=lambda v: v if isinstance(v, str) else None
)
def test_input_names_exist(module, class_name, names):
    assert names <= getters("pulumi_gcp", module, class_name)
