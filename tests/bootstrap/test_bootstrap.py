"""The bootstrap program synthesized from bootstrap/Pulumi.org.yaml: state, keys, CI identities
(a deployer and a read-only previewer per environment).

Expected values are written out for the checked-in example stack file, so a change to what the
program declares shows up here as a failing assertion naming the resource.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from bootstrap import config
from bootstrap.layout import ATTRIBUTE_MAPPING, physical_names, principal_set, state_paths
from bootstrap.program import outputs
from preflight.synth import Project, stack_config
from tests.support.snapshots import BOOTSTRAP, policy_bindings, resources_of

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_POLICY = "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_POLICY = "gcp:serviceaccount/iAMPolicy:IAMPolicy"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"

ENVS = ("dev", "staging", "prod")
OPERATORS = "group:cp-operations@example.com"
BOOTSTRAP_PROJECT = "acme-cp-bootstrap"
PROJECTS = {"dev": "acme-cp-dev", "staging": "acme-cp-staging", "prod": "acme-cp-prod"}
EMAIL = {env: f"acme-{env}-deployer@acme-cp-bootstrap.iam.gserviceaccount.com" for env in ENVS}
DEPLOYER = {env: f"serviceAccount:{EMAIL[env]}" for env in ENVS}
PREVIEWER_EMAIL = {
    env: f"acme-{env}-previewer@acme-cp-bootstrap.iam.gserviceaccount.com" for env in ENVS
}
PREVIEWER = {env: f"serviceAccount:{PREVIEWER_EMAIL[env]}" for env in ENVS}
RING = "projects/acme-cp-bootstrap/locations/europe-west1/keyRings/acme-prod-bootstrap-keys"
STORAGE_KEY = f"{RING}/cryptoKeys/acme-prod-bootstrap-storage-cmek"
POOL = (
    "principalSet://iam.googleapis.com/projects/123456789012/locations/global/"
    "workloadIdentityPools/acme-prod-ci-github"
)
PRINCIPALS = {
    "dev": f"{POOL}/attribute.repository/acme/controlplane-infra",
    "staging": f"{POOL}/attribute.repository/acme/controlplane-infra",
    "prod": f"{POOL}/attribute.repository_ref_environment/acme/controlplane-infra:"
    "refs/heads/main:prod",
}
# Previewers: only pull-request jobs in the GitHub environment preview-<env>, on any branch.
PREVIEW_PRINCIPALS = {
    env: f"{POOL}/attribute.repository_environment/acme/controlplane-infra:preview-{env}"
    for env in ENVS
}
ENCRYPT_DECRYPT = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
DECRYPT = "roles/cloudkms.cryptoKeyDecrypter"
DEPLOYER_ROLES = {
    "roles/run.admin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountUser",
    "roles/secretmanager.admin",
    "roles/pubsub.admin",
    "roles/logging.configWriter",
    "roles/storage.admin",
    "roles/cloudscheduler.admin",
    "roles/cloudkms.admin",
    "roles/dataflow.developer",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/resourcemanager.projectIamAdmin",
}
PREVIEWER_ROLES = {
    "roles/iam.securityReviewer",
    "roles/run.viewer",
    "roles/secretmanager.viewer",
    "roles/pubsub.viewer",
    "roles/logging.viewer",
    "roles/storage.bucketViewer",
    "roles/cloudscheduler.viewer",
    "roles/cloudkms.viewer",
    "roles/dataflow.viewer",
}
DAYS = 86_400
STATE_BUCKET = "acme-prod-bootstrap-state"
AUDIT_BUCKET = "acme-prod-bootstrap-audit"


def _key_id(res: dict[str, Any]) -> str:
    return f"{res['inputs']['keyRing']}/cryptoKeys/{res['inputs']['name']}"


def _as_map(bindings: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for b in bindings:
        assert "condition" not in b, b
        out.setdefault(b["role"], []).extend(b["members"])
    return out


def _state_bucket(snapshot: dict[str, Any]) -> dict[str, Any]:
    [bucket] = [b for b in resources_of(snapshot, BUCKET) if b["inputs"]["name"] == STATE_BUCKET]
    return bucket


def _cfg() -> config.BootstrapConfig:
    raw, secret_keys = stack_config(Project.load(BOOTSTRAP), "org")
    return config.validate("org", raw, set(secret_keys))


# --- the state bucket -------------------------------------------------------------------------


def test_state_bucket_is_versioned_cmek_encrypted_private_and_protected(bootstrap_snapshot):
    bucket = _state_bucket(bootstrap_snapshot)
    inputs, urn = bucket["inputs"], bucket["urn"]
    assert inputs["name"] == "acme-prod-bootstrap-state", urn
    assert inputs["project"] == BOOTSTRAP_PROJECT, urn
    assert inputs["versioning"] == {"enabled": True}, urn
    assert inputs["uniformBucketLevelAccess"] is True, urn
    assert inputs["publicAccessPrevention"] == "enforced", urn
    assert inputs["encryption"] == {
        "defaultKmsKeyName": STORAGE_KEY,
        "googleManagedEncryptionEnforcementConfig": {"restrictionMode": "FullyRestricted"},
        "customerSuppliedEncryptionEnforcementConfig": {"restrictionMode": "FullyRestricted"},
    }, urn
    assert inputs["location"] == "EUROPE-WEST1", urn
    assert bucket["protect"] is True, urn
    assert inputs["deletionPolicy"] == "PREVENT", urn
    assert inputs["forceDestroy"] is False, urn


def test_state_bucket_keeps_noncurrent_versions_180_days(bootstrap_snapshot):
    bucket = _state_bucket(bootstrap_snapshot)
    assert bucket["inputs"]["lifecycleRules"] == [
        {
            "action": {"type": "Delete"},
            "condition": {"daysSinceNoncurrentTime": 180, "withState": "ARCHIVED"},
        }
    ], bucket["urn"]
    assert bucket["inputs"]["softDeletePolicy"] == {"retentionDurationSeconds": 90 * DAYS}


def test_storage_cmek_key_exists_rotates_and_is_granted_before_the_buckets(
    bootstrap_snapshot,
):
    [key] = [k for k in resources_of(bootstrap_snapshot, KEY) if _key_id(k) == STORAGE_KEY]
    assert key["protect"] is True, key["urn"]
    assert key["inputs"]["rotationPeriod"] == f"{90 * DAYS}s", key["urn"]
    [grant] = [
        p
        for p in resources_of(bootstrap_snapshot, KEY_POLICY)
        if p["inputs"]["cryptoKeyId"] == STORAGE_KEY
    ]
    assert _as_map(policy_bindings(grant)) == {
        ENCRYPT_DECRYPT: [
            "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
        ]
    }, grant["urn"]
    # The storage service agent must hold the key before a bucket can be created with it.
    for bucket in resources_of(bootstrap_snapshot, BUCKET):
        assert bucket["inputs"]["encryption"]["defaultKmsKeyName"] == STORAGE_KEY, bucket["urn"]
        assert grant["urn"] in bucket["dependencies"], bucket["urn"]


def test_no_bootstrap_module_types_a_service_agent_address():
    """The Cloud Storage agent comes from the provider's lookup, which also creates it: an
    address typed from the project number names an agent that may not exist yet."""
    pattern = re.compile(r"service-\{|gs-project-accounts")
    found = [
        f"{path.name}:{n}"
        for path in sorted(BOOTSTRAP.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []


def test_state_bucket_policy_is_operators_plus_each_deployer_on_its_own_stack(
    bootstrap_snapshot,
):
    [bucket_policy] = resources_of(bootstrap_snapshot, BUCKET_POLICY)
    assert bucket_policy["inputs"]["bucket"] == "acme-prod-bootstrap-state"
    bindings = policy_bindings(bucket_policy)
    unconditional = [b for b in bindings if "condition" not in b]
    assert unconditional == [{"role": "roles/storage.objectAdmin", "members": [OPERATORS]}]
    conditional = [b for b in bindings if "condition" in b]
    members = sorted(m for b in conditional for m in b["members"])
    assert members == sorted(
        [DEPLOYER[e] for e in ENVS for _ in range(3)] + [PREVIEWER[e] for e in ENVS]
    )
    for env in ENVS:
        mine = {b["role"]: b for b in conditional if b["members"] == [DEPLOYER[env]]}
        assert sorted(mine) == [
            "roles/storage.objectAdmin",
            "roles/storage.objectCreator",
            "roles/storage.objectViewer",
        ], env
        objects = "projects/_/buckets/acme-prod-bootstrap-state/objects/"
        admin = _quoted(mine["roles/storage.objectAdmin"]["condition"]["expression"])
        assert admin == [
            f"{objects}.pulumi/stacks/controlplane/{env}.json",
            f"{objects}.pulumi/stacks/controlplane/{env}.pulumi-tags",
            f"{objects}.pulumi/locks/organization/controlplane/{env}/",
            f"{objects}.pulumi/journal/controlplane/{env}/",
        ], env
        # History and backups are append-only for CI: no overwrite, no delete.
        creator = _quoted(mine["roles/storage.objectCreator"]["condition"]["expression"])
        assert creator == [
            f"{objects}.pulumi/history/controlplane/{env}/",
            f"{objects}.pulumi/backups/controlplane/{env}/",
        ], env
        viewer = _quoted(mine["roles/storage.objectViewer"]["condition"]["expression"])
        assert viewer == [
            "projects/_/buckets/acme-prod-bootstrap-state",
            f"{objects}.pulumi/meta.yaml",
            f"{objects}.pulumi/history/controlplane/{env}/",
            f"{objects}.pulumi/backups/controlplane/{env}/",
        ], env
        # The previewer reads every object of its stack (the checkpoint too) and writes none.
        [preview] = [b for b in conditional if b["members"] == [PREVIEWER[env]]]
        assert preview["role"] == "roles/storage.objectViewer", env
        assert preview["condition"]["title"] == f"{env}-state-preview", env
        assert _quoted(preview["condition"]["expression"]) == [
            "projects/_/buckets/acme-prod-bootstrap-state",
            f"{objects}.pulumi/meta.yaml",
            f"{objects}.pulumi/stacks/controlplane/{env}.json",
            f"{objects}.pulumi/stacks/controlplane/{env}.pulumi-tags",
            f"{objects}.pulumi/locks/organization/controlplane/{env}/",
            f"{objects}.pulumi/journal/controlplane/{env}/",
            f"{objects}.pulumi/history/controlplane/{env}/",
            f"{objects}.pulumi/backups/controlplane/{env}/",
        ], env


def _quoted(expression: str) -> list[str]:
    """The string literals of a CEL expression, after checking its shape is an OR of terms."""
    terms = expression.split(" || ")
    for term in terms:
        assert re.fullmatch(r'resource\.name(\.startsWith\("[^"]+"\)| == "[^"]+")', term), term
    return [re.search(r'"([^"]+)"', t).group(1) for t in terms]  # type: ignore[union-attr]


def test_no_deployer_condition_reaches_another_environments_state(bootstrap_snapshot):
    [bucket_policy] = resources_of(bootstrap_snapshot, BUCKET_POLICY)
    for binding in policy_bindings(bucket_policy):
        if "condition" not in binding:
            continue
        [member] = binding["members"]
        [env] = [e for e in ENVS if member in (DEPLOYER[e], PREVIEWER[e])]
        for other in set(ENVS) - {env}:
            for path in (
                *state_paths("controlplane", other).mutable,
                *state_paths("controlplane", other).append_only,
            ):
                assert path not in binding["condition"]["expression"], (env, path)


# --- the audit trail of the bootstrap project ---------------------------------------------------


def test_every_state_read_and_key_use_is_audited(bootstrap_snapshot):
    [audit] = resources_of(bootstrap_snapshot, "gcp:projects/iAMAuditConfig:IAMAuditConfig")
    assert audit["inputs"]["project"] == BOOTSTRAP_PROJECT
    assert audit["inputs"]["service"] == "allServices"
    assert sorted(c["logType"] for c in audit["inputs"]["auditLogConfigs"]) == [
        "ADMIN_READ",
        "DATA_READ",
        "DATA_WRITE",
    ]


def test_audit_logs_are_kept_30_days_hot_and_180_days_cold(bootstrap_snapshot):
    [hot] = resources_of(bootstrap_snapshot, "gcp:logging/projectBucketConfig:ProjectBucketConfig")
    assert (hot["inputs"]["bucketId"], hot["inputs"]["retentionDays"]) == ("_Default", 30)
    [archive] = [
        b for b in resources_of(bootstrap_snapshot, BUCKET) if b["inputs"]["name"] == AUDIT_BUCKET
    ]
    inputs = archive["inputs"]
    assert inputs["lifecycleRules"] == [
        {
            "action": {"storageClass": "COLDLINE", "type": "SetStorageClass"},
            "condition": {"age": 30, "matchesStorageClasses": ["STANDARD"]},
        },
        {"action": {"type": "Delete"}, "condition": {"age": 180}},
        {
            "action": {"type": "Delete"},
            "condition": {"daysSinceNoncurrentTime": 7, "withState": "ARCHIVED"},
        },
    ]
    assert (inputs["publicAccessPrevention"], inputs["uniformBucketLevelAccess"]) == (
        "enforced",
        True,
    )
    assert inputs["versioning"] == {"enabled": True}
    assert archive["protect"] is True
    [sink] = resources_of(bootstrap_snapshot, "gcp:logging/projectSink:ProjectSink")
    assert sink["inputs"]["destination"] == f"storage.googleapis.com/{AUDIT_BUCKET}"
    # Every entry, unfiltered: the archive is a retention path (playbook §4, CP-AUD-005).
    assert sink["inputs"]["filter"] == ""
    assert "exclusions" not in sink["inputs"] and "disabled" not in sink["inputs"]
    grants = sorted(
        (m["inputs"]["role"], m["inputs"]["member"])
        for m in resources_of(bootstrap_snapshot, "gcp:storage/bucketIAMMember:BucketIAMMember")
        if m["inputs"]["bucket"] == AUDIT_BUCKET
    )
    assert grants == [
        (
            "roles/storage.objectCreator",
            "serviceAccount:service-123456789012@gcp-sa-logging.iam.gserviceaccount.com",
        ),
        ("roles/storage.objectViewer", OPERATORS),
    ]


# --- the stack secrets keys -------------------------------------------------------------------


def test_each_stack_secrets_key_rotates_quarterly_and_has_exact_members(bootstrap_snapshot):
    keys = {_key_id(k): k for k in resources_of(bootstrap_snapshot, KEY)}
    policies = {p["inputs"]["cryptoKeyId"]: p for p in resources_of(bootstrap_snapshot, KEY_POLICY)}
    for env in ENVS:
        key_id = f"{RING}/cryptoKeys/acme-{env}-stack-secrets"
        key = keys[key_id]
        assert key["inputs"]["rotationPeriod"] == f"{90 * DAYS}s", key["urn"]
        assert key["inputs"]["purpose"] == "ENCRYPT_DECRYPT", key["urn"]
        assert key["protect"] is True, key["urn"]
        assert key["inputs"]["deletionPolicy"] == "PREVENT", key["urn"]
        assert key["inputs"]["labels"]["serves"] == env, key["urn"]
        # Operators create each stack's data key; that environment's CI (its deployer and its
        # previewer, which reads the stack's config secrets) only unwraps it.
        assert _as_map(policy_bindings(policies[key_id])) == {
            ENCRYPT_DECRYPT: [OPERATORS],
            DECRYPT: [DEPLOYER[env], PREVIEWER[env]],
        }, policies[key_id]["urn"]
    bootstrap_key = f"{RING}/cryptoKeys/acme-prod-bootstrap-secrets"
    assert keys[bootstrap_key]["protect"] is True
    assert _as_map(policy_bindings(policies[bootstrap_key])) == {ENCRYPT_DECRYPT: [OPERATORS]}


def test_every_key_has_one_authoritative_policy_and_no_other_grant(bootstrap_snapshot):
    keys = sorted(_key_id(k) for k in resources_of(bootstrap_snapshot, KEY))
    assert (
        sorted(p["inputs"]["cryptoKeyId"] for p in resources_of(bootstrap_snapshot, KEY_POLICY))
        == keys
    )
    assert len(keys) == 5
    other_key_grants = [
        r["urn"]
        for r in bootstrap_snapshot["resources"]
        if r["type"].startswith("gcp:kms/") and "IAM" in r["type"] and r["type"] != KEY_POLICY
    ]
    assert other_key_grants == []
    # The state keys live in the bootstrap project: no project-wide KMS role there. A deployer
    # administers the CMEK keys of its own environment's project only; a previewer sees them.
    for member in resources_of(bootstrap_snapshot, PROJECT_MEMBER):
        if member["inputs"]["role"].startswith("roles/cloudkms."):
            assert member["inputs"]["project"] != "acme-cp-bootstrap", member["urn"]
            previewer = member["inputs"]["member"] in PREVIEWER.values()
            expected = "roles/cloudkms.viewer" if previewer else "roles/cloudkms.admin"
            assert member["inputs"]["role"] == expected, member["urn"]


# --- workload identity federation -------------------------------------------------------------


def test_wif_provider_accepts_only_this_repository(bootstrap_snapshot):
    [provider] = resources_of(bootstrap_snapshot, PROVIDER)
    inputs = provider["inputs"]
    assert inputs["attributeCondition"] == 'assertion.repository == "acme/controlplane-infra"'
    assert inputs["oidc"] == {"issuerUri": "https://token.actions.githubusercontent.com"}
    mapping = inputs["attributeMapping"]
    assert mapping["attribute.repository"] == "assertion.repository"
    assert mapping["attribute.ref"] == "assertion.ref"
    assert mapping["attribute.environment"] == (
        "has(assertion.environment) ? assertion.environment : ''"
    )
    # The attribute prod's principal set names combines exactly repository, ref and environment.
    assert mapping["attribute.repository_ref_environment"] == (
        "assertion.repository + ':' + assertion.ref + ':' + "
        "(has(assertion.environment) ? assertion.environment : '')"
    )
    assert inputs["workloadIdentityPoolId"] == "acme-prod-ci-github"


def test_each_deployer_is_impersonable_only_by_its_principal_set(bootstrap_snapshot):
    policies = {
        p["inputs"]["serviceAccountId"]: p for p in resources_of(bootstrap_snapshot, ACCOUNT_POLICY)
    }
    assert len(policies) == 6
    for env in ENVS:
        sa = f"projects/{BOOTSTRAP_PROJECT}/serviceAccounts/{EMAIL[env]}"
        assert policy_bindings(policies[sa]) == [
            {"role": "roles/iam.workloadIdentityUser", "members": [PRINCIPALS[env]]}
        ], env
        sa = f"projects/{BOOTSTRAP_PROJECT}/serviceAccounts/{PREVIEWER_EMAIL[env]}"
        assert policy_bindings(policies[sa]) == [
            {"role": "roles/iam.workloadIdentityUser", "members": [PREVIEW_PRINCIPALS[env]]}
        ], env
    accounts = sorted(a["inputs"]["accountId"] for a in resources_of(bootstrap_snapshot, ACCOUNT))
    deployer_accounts = [a for a in accounts if a.endswith("-deployer")]
    assert deployer_accounts == ["acme-dev-deployer", "acme-prod-deployer", "acme-staging-deployer"]
    assert sorted(set(accounts) - set(deployer_accounts)) == [
        "acme-dev-previewer",
        "acme-prod-previewer",
        "acme-staging-previewer",
    ]


def test_no_deployer_trusts_a_preview_environment_and_no_previewer_a_deploy_one():
    # A pull-request job runs in preview-<env>; none of those may become a deployer, and a
    # previewer trusts its own preview environment only, never main's deploy gate.
    for env in ENVS:
        assert "preview-" not in PRINCIPALS[env], env
        assert PREVIEW_PRINCIPALS[env].endswith(f":preview-{env}"), env
        assert PREVIEW_PRINCIPALS[env] not in PRINCIPALS.values(), env


def test_prod_principal_needs_the_protected_branch_and_the_prod_environment():
    # The combined value only matches a token whose repository, ref AND environment all match:
    # a job on another branch, or on main outside the prod environment, maps to another value.
    prod = PRINCIPALS["prod"]
    attribute, value = prod.split("/attribute.", 1)[1].split("/", 1)
    assert attribute == "repository_ref_environment"
    assert f"attribute.{attribute}" in ATTRIBUTE_MAPPING
    assert value.split(":") == ["acme/controlplane-infra", "refs/heads/main", "prod"]
    assert principal_set("1", "p", "o/r", ref="refs/heads/main").endswith(
        "/attribute.repository_ref/o/r:refs/heads/main"
    )
    assert principal_set("1", "p", "o/r", environment="staging").endswith(
        "/attribute.repository_environment/o/r:staging"
    )


def test_each_deployer_holds_roles_only_on_its_own_project(bootstrap_snapshot):
    members = resources_of(bootstrap_snapshot, PROJECT_MEMBER)
    assert len(members) == 3 * len(DEPLOYER_ROLES) + 3 * len(PREVIEWER_ROLES)
    for env in ENVS:
        mine = [m for m in members if m["inputs"]["member"] == DEPLOYER[env]]
        assert {m["inputs"]["project"] for m in mine} == {PROJECTS[env]}, env
        assert {m["inputs"]["role"] for m in mine} == DEPLOYER_ROLES, env
        for m in mine:
            assert m["inputs"]["role"] not in {"roles/owner", "roles/editor", "roles/viewer"}
            if m["inputs"]["role"] == "roles/resourcemanager.projectIamAdmin":
                expression = m["inputs"]["condition"]["expression"]
                assert expression.startswith(
                    "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(["
                ), m["urn"]
                assert "roles/resourcemanager.projectIamAdmin" not in expression, m["urn"]
                assert "roles/iam.serviceAccountUser" not in expression, m["urn"]
            else:
                assert "condition" not in m["inputs"], m["urn"]
        previews = [m for m in members if m["inputs"]["member"] == PREVIEWER[env]]
        assert {m["inputs"]["project"] for m in previews} == {PROJECTS[env]}, env
        assert {m["inputs"]["role"] for m in previews} == PREVIEWER_ROLES, env
        for m in previews:
            assert "condition" not in m["inputs"], m["urn"]
    # Nothing else holds a role on any project.
    assert {m["inputs"]["member"] for m in members} == {*DEPLOYER.values(), *PREVIEWER.values()}


def test_a_deployer_appears_in_no_grant_of_another_environment(bootstrap_snapshot):
    for res in bootstrap_snapshot["resources"]:
        text = str(res["inputs"])
        for env in ENVS:
            mentioned = EMAIL[env] in text or PREVIEWER_EMAIL[env] in text
            if not mentioned or res["type"] in (ACCOUNT, BUCKET_POLICY):
                continue
            others = [PROJECTS[o] for o in ENVS if o != env] + [
                f"acme-{o}-stack-secrets" for o in ENVS if o != env
            ]
            for other in others:
                assert other not in text, (res["urn"], env, other)


def test_no_service_account_key_exists(bootstrap_snapshot):
    types = {r["type"] for r in bootstrap_snapshot["resources"]}
    assert "gcp:serviceaccount/key:Key" not in types
    assert not any("serviceaccount/key" in t.lower() for t in types)
    assert "serviceAccountKeyAdmin" not in str(
        [r["inputs"] for r in bootstrap_snapshot["resources"]]
    )


# --- names, labels, protection ----------------------------------------------------------------


def test_labelable_resources_carry_the_prod_label_set(bootstrap_snapshot):
    # The whole bootstrap stack is held to prod's rules: it holds prod's state and identity.
    labelled = resources_of(bootstrap_snapshot, BUCKET) + resources_of(bootstrap_snapshot, KEY)
    assert len(labelled) == 7
    for res in labelled:
        labels = dict(res["inputs"]["labels"])
        serves = labels.pop("serves", None)
        assert labels == {
            "component": "bootstrap",
            "data-class": "live",
            "environment": "prod",
            "managed-by": "pulumi",
        }, res["urn"]
        # A resource serving one environment says so, and is named after it.
        env = serves or "prod"
        assert res["inputs"]["name"].startswith(f"acme-{env}-"), res["urn"]
    serving = sorted(
        (r["inputs"]["labels"]["serves"], r["inputs"]["name"])
        for r in labelled
        if "serves" in r["inputs"]["labels"]
    )
    assert serving == [
        ("dev", "acme-dev-stack-secrets"),
        ("prod", "acme-prod-stack-secrets"),
        ("staging", "acme-staging-stack-secrets"),
    ]


def test_stateful_resources_are_protected(bootstrap_snapshot):
    stateful = {BUCKET, KEY, "gcp:kms/keyRing:KeyRing"}
    for res in bootstrap_snapshot["resources"]:
        if res["type"] in stateful:
            assert res["protect"] is True, res["urn"]


def test_components_group_their_children(bootstrap_snapshot):
    by_urn = {r["urn"]: r for r in bootstrap_snapshot["resources"]}
    parents = {
        r["type"]: by_urn[r["parent"]]["type"]
        for r in bootstrap_snapshot["resources"]
        if r["parent"]
    }
    assert parents[BUCKET] == "controlplane:bootstrap:StateBackend"
    assert parents[KEY] == "controlplane:bootstrap:StackKeys"
    assert parents[PROVIDER] == "controlplane:bootstrap:CiIdentity"
    assert bootstrap_snapshot["project"] == "controlplane-bootstrap"


def test_physical_names_fit_gcp_limits_for_the_longest_org():
    names = physical_names("abcdefghij")
    assert max(len(n) for n in names.deployers.values()) <= 30
    assert max(len(n) for n in names.previewers.values()) <= 30
    assert len(names.pool) <= 32 and len(names.provider) <= 32


# --- outputs, project file, docs --------------------------------------------------------------


def test_outputs_name_what_the_program_declares(bootstrap_snapshot):
    out = outputs(_cfg())
    keys = {_key_id(k) for k in resources_of(bootstrap_snapshot, KEY)}
    assert out["secretsProviders"] == {
        env: f"gcpkms://{RING}/cryptoKeys/acme-{env}-stack-secrets" for env in ENVS
    }
    assert {u.removeprefix("gcpkms://") for u in out["secretsProviders"].values()} < keys
    assert (
        out["bootstrapSecretsProvider"] == f"gcpkms://{RING}/cryptoKeys/acme-prod-bootstrap-secrets"
    )
    assert out["backendUrl"] == "gs://acme-prod-bootstrap-state"
    assert out["stateBucket"] == "acme-prod-bootstrap-state"
    assert out["deployers"] == EMAIL
    assert out["previewers"] == PREVIEWER_EMAIL
    declared = {a["inputs"]["accountId"] for a in resources_of(bootstrap_snapshot, ACCOUNT)}
    assert {e.split("@")[0] for e in out["previewers"].values()} <= declared
    [provider] = resources_of(bootstrap_snapshot, PROVIDER)
    assert out["workloadIdentityProvider"] == (
        "projects/123456789012/locations/global/workloadIdentityPools/"
        f"{provider['inputs']['workloadIdentityPoolId']}/providers/"
        f"{provider['inputs']['workloadIdentityPoolProviderId']}"
    )


def test_project_file_uses_the_root_virtualenv_with_uv():
    project = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())
    assert project["name"] == "controlplane-bootstrap"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "uv", "virtualenv": "../.venv"},
    }
    assert (BOOTSTRAP / "../.venv").resolve() == (BOOTSTRAP.parent / ".venv").resolve()


def test_docs_only_name_outputs_the_program_exports():
    out = outputs(_cfg())
    doc = (BOOTSTRAP.parent / "docs" / "bootstrap.md").read_text()
    named = set(re.findall(r"pulumi (?:-C \S+ )?stack output (?:--\S+ )*([A-Za-z]+)", doc))
    assert named, "docs/bootstrap.md should read the stack outputs it uses"
    assert named <= set(out), sorted(named - set(out))
    assert set(out) <= named, (
        f"outputs not explained in docs/bootstrap.md: {sorted(set(out) - named)}"
    )


def test_docs_preview_count_is_what_the_program_declares(bootstrap_snapshot):
    doc = (BOOTSTRAP.parent / "docs" / "bootstrap.md").read_text()
    [count] = re.findall(r"pulumi preview[^\n#]*# (\d+) resources to create", doc)
    assert int(count) == len(bootstrap_snapshot["resources"])


def test_docs_use_the_state_paths_the_deployers_are_granted():
    runbook = (BOOTSTRAP.parent / "docs" / "runbooks" / "state-backup.md").read_text()
    paths = state_paths("controlplane", "<env>")
    for path in (*paths.mutable, *paths.append_only):
        assert path in runbook, path
    assert "180" in runbook and "noncurrent" in runbook


def test_environment_stacks_match_the_bootstrap_and_name_their_secrets_provider():
    cfg, out = _cfg(), outputs(_cfg())
    root = BOOTSTRAP.parent
    assert cfg.state_project == yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]
    for env in ENVS:
        stack_file = yaml.safe_load((root / f"Pulumi.{env}.yaml").read_text())
        assert stack_file["config"]["controlplane:org"] == cfg.org, env
        assert stack_file["config"]["gcp:project"] == PROJECTS[env], env
        expected = out["secretsProviders"][env]
        assert stack_file.get("secretsprovider") == expected, (
            f"Pulumi.{env}.yaml needs the line `secretsprovider: {expected}`"
        )
