"""The bootstrap stack's config: every bad input fails with one exact line, secrets never echoed."""

from __future__ import annotations

import json

import pytest
import yaml

from bootstrap.config import ConfigError, validate
from bootstrap.layout import physical_names
from preflight.cli import UsageError
from preflight.synth import synthesize
from tests.support.snapshots import BOOTSTRAP

P = "config error in stack 'org': "
NS = "controlplane-bootstrap:"
CANARY = "canary-7f3a9c1e-do-not-print"


def _baseline() -> dict[str, str]:
    """The checked-in stack file as the CLI passes it: scalars as text, structures as JSON."""
    doc = yaml.safe_load((BOOTSTRAP / "Pulumi.org.yaml").read_text())["config"]
    return {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in doc.items()}


def _with(**changes: object) -> dict[str, str]:
    raw = _baseline()
    for key, value in changes.items():
        full = NS + key
        if value is None:
            raw.pop(full)
        else:
            raw[full] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    return raw


def _envs(**prod_github: object) -> dict[str, object]:
    envs: dict[str, object] = json.loads(_baseline()[NS + "environments"])
    envs["prod"] = {"projectId": "acme-cp-prod", "github": prod_github}
    return envs


def _error(raw: dict[str, str], secret_keys: set[str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate("org", raw, secret_keys or set())
    return str(caught.value).splitlines()


def test_the_checked_in_stack_file_is_valid():
    cfg = validate("org", _baseline(), set())
    assert cfg.environments.prod.github.ref == "refs/heads/main"
    assert cfg.environments.prod.github.environment == "prod"
    assert cfg.environments.dev.github.ref is None
    assert cfg.noncurrent_version_days == 180
    assert "roles/iam.securityReviewer" in cfg.previewer_roles


BAD: dict[str, tuple[dict[str, str], list[str]]] = {
    "typo": (
        {**_with(githubRepository=None), NS + "githubRepo": "acme/x"},
        [P + NS + "githubRepo: unknown key; did you mean 'githubRepository'?"],
    ),
    "missing": (
        _with(projectNumber=None),
        [
            P + NS + "projectNumber: missing, expected a value: That project's number "
            "(`gcloud projects describe <id> --format='value(projectNumber)'`)."
        ],
    ),
    "prod_without_gate": (
        _with(environments=_envs(ref="refs/heads/main")),
        [
            P + NS + "environments: prod.github needs both ref (e.g. refs/heads/main) and "
            "environment (e.g. prod): prod may only be deployed from the protected branch in "
            "the prod GitHub environment"
        ],
    ),
    "shared_project": (
        _with(
            environments={
                **_envs(ref="refs/heads/main", environment="prod"),
                "staging": {"projectId": "acme-cp-dev"},
            }
        ),
        [
            P + NS + "environments: each environment needs its own projectId, so a deployer "
            "can only reach its own"
        ],
    ),
    "bootstrap_is_an_environment": (
        _with(projectId="acme-cp-prod"),
        [
            P + NS + "projectId: the bootstrap project must not be one of the environments' "
            "projects; keep state, keys and CI identity apart from what they deploy"
        ],
    ),
    "primitive_role": (
        _with(deployerRoles=["roles/run.admin", "roles/editor"]),
        [
            P + NS + 'deployerRoles: found ["roles/run.admin", "roles/editor"], expected '
            "predefined roles instead of the primitive roles/editor (e.g. roles/run.admin)"
        ],
    ),
    "escalating_role": (
        _with(deployerRoles=["roles/resourcemanager.projectIamAdmin"]),
        [
            P + NS + 'deployerRoles: found ["roles/resourcemanager.projectIamAdmin"], expected '
            "roles/resourcemanager.projectIamAdmin lets its holder change IAM or mint "
            "credentials; project IAM changes are granted only through grantableRoles"
        ],
    ),
    "key_creator_role": (
        _with(deployerRoles=["roles/iam.serviceAccountKeyAdmin"]),
        [
            P + NS + 'deployerRoles: found ["roles/iam.serviceAccountKeyAdmin"], expected '
            "roles/iam.serviceAccountKeyAdmin lets its holder change IAM or mint credentials; "
            "project IAM changes are granted only through grantableRoles"
        ],
    ),
    "grant_impersonation": (
        _with(grantableRoles=["roles/run.invoker", "roles/iam.serviceAccountUser"]),
        [
            P + NS + 'grantableRoles: found ["roles/run.invoker", "roles/iam.serviceAccountUser"]'
            ", expected roles/iam.serviceAccountUser would let the grantee act as the "
            "environment's service accounts; remove it from grantableRoles"
        ],
    ),
    "previewer_primitive_viewer": (
        _with(previewerRoles=["roles/viewer"]),
        [
            P + NS + 'previewerRoles: found ["roles/viewer"], expected '
            "predefined roles instead of the primitive roles/viewer (e.g. roles/run.admin)"
        ],
    ),
    "previewer_impersonation": (
        _with(previewerRoles=["roles/run.viewer", "roles/iam.serviceAccountUser"]),
        [
            P + NS + 'previewerRoles: found ["roles/run.viewer", "roles/iam.serviceAccountUser"]'
            ", expected roles/iam.serviceAccountUser would let the grantee act as the "
            "environment's service accounts; remove it from previewerRoles"
        ],
    ),
    "previewer_escalating_role": (
        _with(previewerRoles=["roles/iam.serviceAccountTokenCreator"]),
        [
            P + NS + 'previewerRoles: found ["roles/iam.serviceAccountTokenCreator"], expected '
            "roles/iam.serviceAccountTokenCreator lets its holder change IAM or mint "
            "credentials; project IAM changes are granted only through grantableRoles"
        ],
    ),
    "custom_role": (
        _with(deployerRoles=["projects/acme-cp-dev/roles/deployer"]),
        [
            P + NS + 'deployerRoles: found ["projects/acme-cp-dev/roles/deployer"], expected a '
            "predefined role like roles/<service>.<role> instead of "
            "'projects/acme-cp-dev/roles/deployer' (custom roles could be widened after review)"
        ],
    ),
    "short_retention": (
        _with(noncurrentVersionDays=30),
        [P + NS + 'noncurrentVersionDays: found "30", expected at least 180'],
    ),
    "multi_region": (
        _with(location="eu"),
        [
            P + NS + 'location: found "eu", expected a single region such as europe-west1 '
            "(CMEK keys must sit in the bucket's region)"
        ],
    ),
    "user_not_group": (
        _with(operatorsGroup="user:alice@example.com"),
        [
            P + NS + 'operatorsGroup: found "user:alice@example.com", expected a group as an '
            "IAM member, e.g. group:sre@example.com"
        ],
    ),
    "bad_ref": (
        _with(environments=_envs(ref="main", environment="prod")),
        [
            P + NS + 'environments.prod.github.ref: found "main", expected a full git ref such as '
            "refs/heads/main"
        ],
    ),
    "nested_typo": (
        _with(
            environments={
                **_envs(),
                "prod": {
                    "projectId": "acme-cp-prod",
                    "githb": {"ref": "refs/heads/main", "environment": "prod"},
                },
            }
        ),
        [P + NS + "environments.prod.githb: unknown key; did you mean 'github'?"],
    ),
    "unknown_namespace": (
        {**_baseline(), "controlplane:org": "acme"},
        [
            P + "controlplane:org: unknown key; the bootstrap program reads "
            "`controlplane-bootstrap:<key>` and gcp:project"
        ],
    ),
    "provider_project_mismatch": (
        {**_baseline(), "gcp:project": "acme-cp-dev"},
        [
            P + "gcp:project: found \"acme-cp-dev\", expected 'acme-cp-bootstrap' (the same "
            "project as controlplane-bootstrap:projectId) or no gcp:project at all"
        ],
    ),
    "org_reserved": (
        _with(org="google1"),
        [
            P + NS + "org: found \"google1\", expected a prefix without 'goog'/'google' and "
            "other than 'gcp' (bucket and pool names refuse them)"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_fails_with_one_exact_line(case):
    raw, expected = BAD[case]
    assert _error(raw) == expected


def test_a_secret_key_is_refused_without_echoing_its_value():
    raw = {**_baseline(), NS + "githubToken": CANARY}
    lines = _error(raw, secret_keys={NS + "githubToken"})
    assert lines == [
        P + NS + "githubToken: is a secret, but the bootstrap program reads no secrets; remove it "
        "with `pulumi config rm controlplane-bootstrap:githubToken` (and rotate it if it was a "
        "credential)"
    ]
    assert CANARY not in "\n".join(lines)


def test_a_known_key_set_as_secret_is_refused_without_echoing_it():
    raw = _with(operatorsGroup=CANARY)
    lines = _error(raw, secret_keys={NS + "operatorsGroup"})
    assert len(lines) == 1 and CANARY not in lines[0]
    assert lines[0].startswith(P + NS + "operatorsGroup: is a secret")


def test_the_program_stops_on_bad_config_before_registering_anything(bootstrap_with):
    text = (
        (BOOTSTRAP / "Pulumi.org.yaml")
        .read_text()
        .replace(
            "controlplane-bootstrap:location: europe-west1", "controlplane-bootstrap:location: us"
        )
    )
    project = bootstrap_with(text)
    with pytest.raises(UsageError) as caught:
        synthesize(["org"], project_dir=project)
    assert str(caught.value) == (
        P + NS + 'location: found "us", expected a single region such as europe-west1 '
        "(CMEK keys must sit in the bucket's region)"
    )


def test_a_secure_value_in_the_stack_file_never_reaches_the_message(bootstrap_with):
    text = (BOOTSTRAP / "Pulumi.org.yaml").read_text() + (
        f"  controlplane-bootstrap:apiToken:\n    secure: {CANARY}\n"
    )
    with pytest.raises(UsageError) as caught:
        synthesize(["org"], project_dir=bootstrap_with(text))
    assert CANARY not in str(caught.value)
    assert str(caught.value).startswith(P + NS + "apiToken: is a secret")


def test_physical_names_refuse_an_org_that_breaks_a_gcp_limit():
    with pytest.raises(ValueError) as caught:
        physical_names("abcdefghijklmn")
    assert str(caught.value) == (
        "physical name 'abcdefghijklmn-staging-deployer' is 31 characters, the limit here is 30: "
        "shorten the org or component name in the stack config"
    )
