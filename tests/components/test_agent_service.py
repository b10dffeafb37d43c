"""AgentService: Cloud Run v2 service, its own account, probes, SSE settings, traffic split."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from components.agent_service import AgentService, AgentServiceArgs, traffic_plan
from config.runtime import RuntimeSections
from controlplane.naming import Environment
from preflight.cli import ROOT
from tests.support.components import PROJECT, REGION, Registered, naming_for, run_program
from tests.support.runtime import example, sections, vault_of

SERVICE = "gcp:cloudrunv2/service:Service"
ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_IAM = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
ACCESSOR = "gcp:secretmanager/secretIamMember:SecretIamMember"


def _agent(rollout: dict[str, Any], revision: str = "v2") -> RuntimeSections:
    data = example()
    data["services"]["agent"]["rollout"] = rollout
    data["services"]["agent"]["revision"] = revision
    return RuntimeSections.model_validate(data)


def _build(
    cfg: RuntimeSections,
    *,
    env: Environment = "dev",
    service: str = "agent",
    containment: bool = False,
    with_vault: bool = False,
    deletion_protection: bool = False,
) -> Registered:
    naming = naming_for(env)

    def program() -> None:
        vault = None
        if with_vault:
            vault = vault_of(naming, cfg, [s for s in cfg.secrets if not s.from_config])
        AgentService(
            service,
            AgentServiceArgs(
                naming=naming,
                project=PROJECT,
                region=REGION,
                service=service,
                spec=cfg.services[service],
                containment=containment,
                secrets=vault.binding_for(service) if vault else None,
                deletion_protection=deletion_protection,
            ),
        )

    return run_program(program, stack=env)


def _traffic(reg: Registered) -> list[tuple[str, int, str]]:
    [service] = reg.of_type(SERVICE)
    return [(t["revision"], t["percent"], t["tag"]) for t in service.inputs["traffics"]]


def test_service_runs_as_its_own_account_with_sse_settings_and_probes() -> None:
    reg = _build(sections())
    [component] = reg.of_type("controlplane:runtime:AgentService")
    [service] = reg.of_type(SERVICE)
    [account] = reg.of_type(ACCOUNT)
    urn = service.urn
    assert service.parent == component.urn, urn
    assert account.parent == component.urn, account.urn
    assert service.name == "agent-service", urn
    assert account.inputs["accountId"] == "acme-dev-agent-sa", account.urn
    template = service.inputs["template"]
    assert template["serviceAccount"] == "acme-dev-agent-sa@acme-cp-test.iam.gserviceaccount.com"
    assert "compute@developer" not in template["serviceAccount"], urn
    assert service.inputs["name"] == "acme-dev-agent", urn
    assert service.inputs["location"] == REGION, urn
    assert service.inputs["ingress"] == "INGRESS_TRAFFIC_ALL", urn
    assert service.inputs["deletionProtection"] is False, urn
    assert template["timeout"] == "3600s", urn
    assert template["maxInstanceRequestConcurrency"] == 40, urn
    assert template["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 4}, urn
    assert template["revision"] == "acme-dev-agent-v2", urn
    [container] = template["containers"]
    assert container["image"].endswith("/agent@sha256:" + "e" * 64), urn
    assert container["resources"] == {
        "cpuIdle": False,
        "limits": {"cpu": "1", "memory": "512Mi"},
        "startupCpuBoost": True,
    }, urn
    assert container["ports"] == {"containerPort": 8080, "name": "http1"}, urn
    assert container["startupProbe"] == {
        "failureThreshold": 24,
        "httpGet": {"path": "/healthz", "port": 8080},
        "initialDelaySeconds": 0,
        "periodSeconds": 5,
        "timeoutSeconds": 3,
    }, urn
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz/live", "port": 8080}, urn
    assert container["envs"] == [{"name": "LOG_FORMAT", "value": "json"}], urn
    labels = {"environment": "dev", "data-class": "synthetic", "managed-by": "pulumi"}
    for where in (service.inputs["labels"], template["labels"]):
        assert labels.items() <= where.items(), urn
    assert service.protect is False, urn


def test_canary_splits_traffic_between_stable_and_candidate() -> None:
    reg = _build(_agent({"strategy": "canary", "stableRevision": "v1", "candidatePercent": 10}))
    assert _traffic(reg) == [
        ("acme-dev-agent-v1", 90, "stable"),
        ("acme-dev-agent-v2", 10, "candidate"),
    ], reg.of_type(SERVICE)[0].urn


def test_canary_at_100_percent_keeps_the_stable_revision_tagged_for_rollback() -> None:
    reg = _build(_agent({"strategy": "canary", "stableRevision": "v1", "candidatePercent": 100}))
    assert _traffic(reg) == [
        ("acme-dev-agent-v1", 0, "stable"),
        ("acme-dev-agent-v2", 100, "candidate"),
    ], reg.of_type(SERVICE)[0].urn


def test_blue_green_keeps_the_candidate_at_zero_until_promoted() -> None:
    reg = _build(_agent({"strategy": "blue_green", "stableRevision": "v1", "promoted": False}))
    assert _traffic(reg) == [
        ("acme-dev-agent-v1", 100, "stable"),
        ("acme-dev-agent-v2", 0, "candidate"),
    ], reg.of_type(SERVICE)[0].urn


def test_blue_green_promoted_moves_all_traffic_to_the_candidate() -> None:
    reg = _build(_agent({"strategy": "blue_green", "stableRevision": "v1", "promoted": True}))
    assert _traffic(reg) == [
        ("acme-dev-agent-v1", 0, "stable"),
        ("acme-dev-agent-v2", 100, "candidate"),
    ], reg.of_type(SERVICE)[0].urn


@pytest.mark.parametrize(
    "rollout",
    [
        {"strategy": "canary", "stableRevision": "v1", "candidatePercent": 25},
        {"strategy": "blue_green", "stableRevision": "v1", "promoted": True},
    ],
)
def test_containment_sends_all_traffic_to_the_stable_revision(rollout: dict[str, Any]) -> None:
    reg = _build(_agent(rollout), containment=True)
    assert _traffic(reg) == [
        ("acme-dev-agent-v1", 100, "stable"),
        ("acme-dev-agent-v2", 0, "candidate"),
    ], reg.of_type(SERVICE)[0].urn


@pytest.mark.parametrize("stable", [None, "v2"])
def test_first_deploy_and_finished_rollout_serve_one_revision(stable: str | None) -> None:
    rollout: dict[str, Any] = {"strategy": "canary"}
    if stable:
        rollout["stableRevision"] = stable
    reg = _build(_agent(rollout))
    assert _traffic(reg) == [("acme-dev-agent-v2", 100, "stable")], reg.of_type(SERVICE)[0].urn


def test_traffic_plan_matches_what_the_component_declares() -> None:
    cfg = _agent({"strategy": "canary", "stableRevision": "v1", "candidatePercent": 40})
    plan = traffic_plan(naming_for("dev"), "agent", cfg.services["agent"], containment=False)
    reg = _build(cfg)
    assert [(t.revision, t.percent, t.tag) for t in plan] == _traffic(reg)
    assert sum(t.percent for t in plan) == 100


def test_secrets_are_bound_by_reference_after_the_accessor_grants() -> None:
    reg = _build(sections(), with_vault=True)
    [service] = reg.of_type(SERVICE)
    [container] = service.inputs["template"]["containers"]
    secret_envs = [e for e in container["envs"] if "valueSource" in e]
    assert secret_envs == [
        {
            "name": "SUPABASE_JWT_SECRET",
            "valueSource": {
                "secretKeyRef": {
                    "secret": "acme-dev-vault-supabase-jwt-secret",
                    "version": "latest",
                }
            },
        }
    ], service.urn
    assert all("value" not in e for e in secret_envs), service.urn
    grants = reg.of_type(ACCESSOR)
    assert [(g.name, g.inputs["member"]) for g in grants] == [
        (
            "secrets-supabase-jwt-secret-agent",
            "serviceAccount:acme-dev-agent-sa@acme-cp-test.iam.gserviceaccount.com",
        )
    ]
    for grant in grants:
        assert grant.urn in service.dependencies, f"{service.urn} must wait for {grant.urn}"


def test_public_service_gets_an_all_users_invoker_and_a_private_one_does_not() -> None:
    public = _build(sections(), service="frontend")
    [binding] = public.of_type(SERVICE_IAM)
    assert binding.inputs == {
        "location": REGION,
        "member": "allUsers",
        "name": "acme-dev-frontend",
        "project": PROJECT,
        "role": "roles/run.invoker",
    }, binding.urn
    private = _build(sections(), service="agent")
    assert private.of_type(SERVICE_IAM) == []


def test_config_iam_and_allow_invoker_add_members() -> None:
    data = example()
    data["services"]["agent"]["iam"] = {"roles/run.invoker": ["group:ops@example.com"]}
    cfg = RuntimeSections.model_validate(data)
    naming = naming_for("dev")

    def program() -> None:
        agent = AgentService(
            "agent",
            AgentServiceArgs(
                naming=naming,
                project=PROJECT,
                region=REGION,
                service="agent",
                spec=cfg.services["agent"],
            ),
        )
        agent.allow_invoker("frontend", "serviceAccount:fe@acme-cp-test.iam.gserviceaccount.com")

    reg = run_program(program)
    bindings = {b.name: b.inputs["member"] for b in reg.of_type(SERVICE_IAM)}
    assert bindings == {
        "agent-run-invoker-group-ops-example-com": "group:ops@example.com",
        "agent-invoker-frontend": "serviceAccount:fe@acme-cp-test.iam.gserviceaccount.com",
    }


def test_prod_deletion_protection() -> None:
    reg = _build(sections(), env="prod", deletion_protection=True)
    [service] = reg.of_type(SERVICE)
    assert service.inputs["deletionProtection"] is True, service.urn
    assert service.inputs["labels"]["environment"] == "prod", service.urn


def test_an_env_var_set_twice_is_refused() -> None:
    cfg = sections()

    def program() -> None:
        AgentService(
            "agent",
            AgentServiceArgs(
                naming=naming_for("dev"),
                project=PROJECT,
                region=REGION,
                service="agent",
                spec=cfg.services["agent"],
                env={"LOG_FORMAT": "text"},
            ),
        )

    with pytest.raises(ValueError) as err:
        run_program(program)
    assert str(err.value) == ("service agent: env var LOG_FORMAT is set twice; rename one of them")


# --- docs/rollout.md is executed: each step's commands give the traffic the doc shows ------

ROLLOUT_DOC = ROOT / "docs" / "rollout.md"
_STEP = re.compile(r"```(yaml|sh)\n((?:(?!```).)*)```\n\nTraffic: ([^\n]+)\n", re.S)


def _config_value(text: str) -> Any:
    """How `pulumi config set --path` types a value: true/false, integers, else strings."""
    if text in ("true", "false"):
        return text == "true"
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else text


def _apply(data: dict[str, Any], command: str) -> None:
    argv = shlex.split(command)
    if argv[:3] != ["pulumi", "config", "set"]:
        return
    args = [a for a in argv[3:] if a != "--path"]
    key, value = args
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = _config_value(value)


def _shown(targets: list[Any], service: str) -> str:
    prefix = f"acme-prod-{service}-"
    return ", ".join(f"`{t.revision.removeprefix(prefix)}` {t.percent}% ({t.tag})" for t in targets)


def test_every_rollout_doc_step_gives_the_documented_traffic() -> None:
    steps = _STEP.findall(ROLLOUT_DOC.read_text())
    assert len(steps) >= 12, "docs/rollout.md lost its steps"
    data: dict[str, Any] = {}
    for kind, body, documented in steps:
        if kind == "yaml":
            data = example()
            start = yaml.safe_load(body)["controlplane:services"]["agent"]
            data["services"]["agent"].update(start)
        else:
            for line in body.splitlines():
                _apply(data, line)
        cfg = RuntimeSections.model_validate(data)
        plan = traffic_plan(naming_for("prod"), "agent", cfg.services["agent"], cfg.containment)
        assert _shown(plan, "agent") == documented, body


pytestmark = pytest.mark.playbook("agent-deployment", "frontend-rollout", "containment")
