"""Another type for the same capability: each change reaches what a policy guards through a type
token the policy did not list."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.support.adversary import Case, Snapshot, add, first

Change = Callable[[Snapshot], None]
UNDECLARED = "inventory-resource-disallow-undeclared-types"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SA = "acme-prod-agent@acme-prod.iam.gserviceaccount.com"


def _adder(type_token: str, name: str, inputs: dict) -> Change:
    def change(snapshot: Snapshot) -> None:
        add(snapshot, type_token, name, inputs, beside=first(snapshot, PROJECT_MEMBER))

    return change


def _iam(type_token: str, role: str, member: str, scope: dict) -> Change:
    return _adder(type_token, "acme-prod-extra-grant", {**scope, "role": role, "member": member})


def _case(id_: str, policy: str, message: str, change: Change) -> Case:
    return Case(id_, "another-type", policy, message, change)


CASES = [
    _case(
        "hmac-key",
        UNDECLARED,
        "hmacKey:HmacKey (sensitive family: keys)",
        _adder("gcp:storage/hmacKey:HmacKey", "acme-prod-hmac", {"serviceAccountEmail": SA}),
    ),
    _case(
        "api-key",
        UNDECLARED,
        "apiKey:ApiKey (sensitive family: keys)",
        _adder("gcp:projects/apiKey:ApiKey", "acme-prod-maps", {"name": "maps"}),
    ),
    _case(
        "bucket-acl-public",
        UNDECLARED,
        "bucketACL:BucketACL (sensitive family: ACL)",
        _adder(
            "gcp:storage/bucketACL:BucketACL",
            "acme-prod-archive-acl",
            {"bucket": "acme-prod-logs-archive", "roleEntities": ["READER:allUsers"]},
        ),
    ),
    _case(
        "default-object-acl",
        UNDECLARED,
        "(sensitive family: ACL)",
        _adder(
            "gcp:storage/defaultObjectACL:DefaultObjectACL",
            "acme-prod-obj-acl",
            {"bucket": "acme-prod-logs-archive", "roleEntities": ["READER:allAuthenticatedUsers"]},
        ),
    ),
    _case(
        "regional-secret",
        UNDECLARED,
        "regionalSecret:RegionalSecret (sensitive family: secrets)",
        _adder(
            "gcp:secretmanager/regionalSecret:RegionalSecret",
            "acme-prod-side-secret",
            {"secretId": "side", "location": "europe-west1"},
        ),
    ),
    _case(
        "regional-secret-no-rotation",
        "credentials-secret-configure-rotation",
        "rotation.rotationPeriod is not set",
        _adder(
            "gcp:secretmanager/regionalSecret:RegionalSecret",
            "acme-prod-side-secret",
            {"secretId": "side", "location": "europe-west1"},
        ),
    ),
    _case(
        "regional-secret-no-cmek",
        "encryption-secret-enable-cmek",
        "customerManagedEncryption.kmsKeyName is not set",
        _adder(
            "gcp:secretmanager/regionalSecret:RegionalSecret",
            "acme-prod-side-secret",
            {"secretId": "side", "location": "europe-west1"},
        ),
    ),
    _case(
        "cloud-run-v1-literal-secret",
        "credentials-cloudrun-disallow-literal-secrets",
        "GEMINI_API_KEY has a literal value",
        _adder(
            "gcp:cloudrun/service:Service",
            "acme-prod-agent-v1",
            {
                "location": "europe-west1",
                "template": {
                    "spec": {
                        "serviceAccountName": SA,
                        "containers": [
                            {
                                "image": "img",
                                "envs": [
                                    {"name": "GEMINI_API_KEY", "value": "canary-fence-literal"}
                                ],
                            }
                        ],
                    }
                },
            },
        ),
    ),
    _case(
        "cloud-run-v1-default-account",
        "iam-cloudrun-enforce-dedicated-service-account",
        "template.spec.serviceAccountName is not set",
        _adder(
            "gcp:cloudrun/service:Service",
            "acme-prod-agent-v1",
            {"location": "europe-west1", "template": {"spec": {"containers": [{"image": "i"}]}}},
        ),
    ),
    _case(
        "function-literal-secret",
        "credentials-cloudrun-disallow-literal-secrets",
        "environmentVariables.SUPABASE_DB_PASSWORD has a literal value",
        _adder(
            "gcp:cloudfunctions/function:Function",
            "acme-prod-fn",
            {
                "runtime": "python311",
                "serviceAccountEmail": SA,
                "environmentVariables": {"SUPABASE_DB_PASSWORD": "canary-fence-literal"},
            },
        ),
    ),
    _case(
        "function-v2-default-account",
        "iam-cloudrun-enforce-dedicated-service-account",
        "serviceConfig.serviceAccountEmail is not set",
        _adder(
            "gcp:cloudfunctionsv2/function:Function",
            "acme-prod-fn2",
            {"location": "europe-west1", "serviceConfig": {"availableMemory": "256M"}},
        ),
    ),
    _case(
        "pubsub-owner",
        "iam-binding-disallow-primitive-roles",
        "roles/owner",
        _iam(
            "gcp:pubsub/topicIAMMember:TopicIAMMember",
            "roles/owner",
            "user:m@example.com",
            {"topic": "acme-prod-rotation"},
        ),
    ),
    _case(
        "kms-public",
        "iam-binding-disallow-public-principals",
        "allUsers",
        _iam(
            "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
            "roles/cloudkms.cryptoKeyDecrypter",
            "allUsers",
            {"cryptoKeyId": "k"},
        ),
    ),
    _case(
        "bigquery-editor",
        "iam-binding-disallow-primitive-roles",
        "roles/editor",
        _iam(
            "gcp:bigquery/datasetIamMember:DatasetIamMember",
            "roles/editor",
            "group:eng@example.com",
            {"datasetId": "audit"},
        ),
    ),
    _case(
        "iap-public",
        "iam-binding-disallow-public-principals",
        "allAuthenticatedUsers",
        _iam(
            "gcp:iap/webIamMember:WebIamMember",
            "roles/iap.httpsResourceAccessor",
            "allAuthenticatedUsers",
            {"project": "acme-prod"},
        ),
    ),
    _case(
        "custom-role-set-iam",
        "iam-role-disallow-owner-equivalent-permissions",
        "resourcemanager.projects.setIamPolicy is owner-equivalent",
        _adder(
            "gcp:projects/iAMCustomRole:IAMCustomRole",
            "acme-prod-helper",
            {
                "roleId": "helper",
                "title": "Helper",
                "permissions": ["run.services.get", "resourcemanager.projects.setIamPolicy"],
            },
        ),
    ),
    _case(
        "org-custom-role-act-as",
        "iam-role-disallow-owner-equivalent-permissions",
        "iam.serviceAccounts.actAs is owner-equivalent",
        _adder(
            "gcp:organizations/iAMCustomRole:IAMCustomRole",
            "acme-org-helper",
            {
                "orgId": "1",
                "roleId": "helper",
                "title": "Helper",
                "permissions": ["iam.serviceAccounts.actAs"],
            },
        ),
    ),
    _case(
        "token-creator-to-person",
        "iam-binding-disallow-impersonation-by-people",
        "roles/iam.serviceAccountTokenCreator to user:dev@example.com",
        _iam(
            PROJECT_MEMBER,
            "roles/iam.serviceAccountTokenCreator",
            "user:dev@example.com",
            {"project": "acme-prod"},
        ),
    ),
    _case(
        "sa-user-to-group",
        "iam-binding-disallow-impersonation-by-people",
        "roles/iam.serviceAccountUser to group:eng@example.com",
        _iam(
            "gcp:serviceaccount/iAMMember:IAMMember",
            "roles/iam.serviceAccountUser",
            "group:eng@example.com",
            {"serviceAccountId": "x"},
        ),
    ),
    _case(
        "provider-literal-key",
        "credentials-provider-disallow-literal-credentials",
        "apiKey is set on an explicit provider",
        _adder(
            "pulumi:providers:datadog",
            "acme-prod-datadog-eu",
            {"apiKey": "canary-fence-literal", "apiUrl": "https://api.datadoghq.eu"},
        ),
    ),
    _case(
        "generic-dynamic-resource",
        UNDECLARED,
        "(sensitive family: dynamic resources)",
        _adder(
            "pulumi-python:dynamic:Resource",
            "acme-prod-supabase-2",
            {"resourceKind": "other", "projectRef": "x"},
        ),
    ),
    _case(
        "supabase-imitation-no-ssl",
        "encryption-supabase-enforce-ssl",
        "sslEnforcement.database is",
        _adder(
            "pulumi-python:dynamic/supabase2:SupabaseSettings",
            "acme-prod-supabase-2",
            {"projectRef": "prdcontrolplaneaaaaa", "sslEnforcement": {"database": False}},
        ),
    ),
]


def _binding_beside_the_stack_account(snapshot: Snapshot) -> None:
    """A binding that names the stack's own service account first, and a person after it."""
    beside = first(snapshot, PROJECT_MEMBER)
    inputs = {
        "project": beside["inputs"].get("project", "acme-prod"),
        "role": "roles/iam.serviceAccountTokenCreator",
        "members": [f"serviceAccount:{SA}", "user:contractor@example.com"],
    }
    add(
        snapshot,
        "gcp:projects/iAMBinding:IAMBinding",
        "acme-prod-token-creators",
        inputs,
        beside=beside,
    )


def _policy_data_with_one_public_binding(snapshot: Snapshot) -> None:
    """An IAM policy document on the rotation topic: a compliant binding, then allUsers."""
    bindings = [
        {"role": "roles/pubsub.publisher", "members": [f"serviceAccount:{SA}"]},
        {"role": "roles/pubsub.subscriber", "members": ["allUsers"]},
    ]
    add(
        snapshot,
        "gcp:pubsub/topicIAMPolicy:TopicIAMPolicy",
        "acme-prod-rotation-policy",
        {"topic": "acme-prod-rotation", "policyData": json.dumps({"bindings": bindings})},
        beside=first(snapshot, PROJECT_MEMBER),
    )


CASES += [
    Case(
        "token-creator-binding-beside-the-stack-account",
        "decoys",
        "iam-binding-disallow-impersonation-by-people",
        "members[1] grants roles/iam.serviceAccountTokenCreator to user:contractor@example.com",
        _binding_beside_the_stack_account,
    ),
    Case(
        "public-subscriber-after-a-compliant-binding",
        "decoys",
        "iam-binding-disallow-public-principals",
        "roles/pubsub.subscriber to allUsers",
        _policy_data_with_one_public_binding,
    ),
]
