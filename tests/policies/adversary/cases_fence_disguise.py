"""Credentials in disguise: another spelling of the name, an innocent name, an argument."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.adversary import Case, Snapshot, first

Change = Callable[[Snapshot], None]

SERVICE = "gcp:cloudrunv2/service:Service"
JOB = "gcp:cloudrunv2/job:Job"
NAMES = "credentials-cloudrun-disallow-literal-secrets"
VALUES = "credentials-workload-disallow-disguised-secrets"
FAKE = "canaryfence0b7e" * 2  # test data, not a credential


def _env(name: str, value: str) -> Change:
    def change(snapshot: Snapshot) -> None:
        service = first(snapshot, SERVICE, "agent")
        service["inputs"]["template"]["containers"][0]["envs"].append(
            {"name": name, "value": value}
        )

    return change


def _arg(value: str, type_token: str = JOB) -> Change:
    def change(snapshot: Snapshot) -> None:
        job = first(snapshot, type_token)
        template = job["inputs"]["template"]
        containers = (template.get("template") or template)["containers"]
        containers[0].setdefault("args", []).append(value)

    return change


def _case(id_: str, policy: str, message: str, change: Change) -> Case:
    return Case(id_, "disguise", policy, message, change)


CASES = [
    _case("mixed-case-api-key", NAMES, "Api_Key has a literal value", _env("Api_Key", FAKE)),
    _case("joined-apikey", NAMES, "GEMINIAPIKEY has a literal value", _env("GEMINIAPIKEY", FAKE)),
    _case("pass-wd", NAMES, "db_pass_wd has a literal value", _env("db_pass_wd", FAKE)),
    _case(
        "camel-token",
        NAMES,
        "supabaseAuthToken has a literal value",
        _env("supabaseAuthToken", FAKE),
    ),
    _case(
        "connection-string",
        VALUES,
        "a connection string with a password",
        _env("DATABASE_URL", f"postgresql://postgres:{FAKE}@db.example.supabase.co:5432/postgres"),
    ),
    _case(
        "stripe-prefix",
        VALUES,
        "a token with the prefix 'sk_live_'",
        _env("BILLING", f"sk_live_{FAKE}"),
    ),
    _case("github-prefix", VALUES, "a token with the prefix 'ghp_'", _env("REPO", f"ghp_{FAKE}")),
    _case(
        "aws-prefix", VALUES, "a token with the prefix 'AKIA'", _env("S3_ID", f"AKIA{FAKE.upper()}")
    ),
    _case("slack-prefix", VALUES, "a token with the prefix 'xoxb-'", _env("CHAT", f"xoxb-{FAKE}")),
    _case(
        "jwt",
        VALUES,
        "a JSON web token",
        _env("SERVICE_ROLE", f"eyJhbGciOiJIUzI1{FAKE}.eyJyb2xlIjoic2Vy{FAKE}.{FAKE}"),
    ),
    _case(
        "high-entropy",
        VALUES,
        "a long random-looking string",
        _env("BLOB", "Zx8q2Lk9Pm4Rt7Vb1Nc6Hy3Jw5Df0Gs8Ae2Qo"),
    ),
    _case(
        "job-argument-flag",
        VALUES,
        "a command-line flag that carries a credential",
        _arg(f"--db-password={FAKE}"),
    ),
    _case(
        "service-argument-url",
        VALUES,
        "a connection string with a password",
        _arg(f"--dsn=postgres://app:{FAKE}@10.0.0.5/app", SERVICE),
    ),
]
