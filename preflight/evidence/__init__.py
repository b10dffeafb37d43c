"""``python -m preflight evidence``: audit bundles per stack and their verification (§1, §6).

    python -m preflight evidence --stack prod --out DIR | gs://BUCKET/PREFIX | s3://BUCKET/PREFIX
                                 [--deployed-commit REV] [--project DIR]
    python -m preflight evidence --all --out DIR          (one sub-directory per stack)
    python -m preflight evidence --verify DIR | gs://... | s3://...

A bundle holds the stack config with every ``secure:`` value replaced by ``[secret]``, the
snapshot, the Terraform plan export, the policy report (``preflight check``), the checkov report
(``preflight scan``), the diff against the last deployed commit when it is known (from
``--deployed-commit`` or the stack's update history), and the update history when the Pulumi CLI
is present. ``manifest.json`` lists each file with its SHA-256 and size, the git commit (and
whether the tree was dirty), and why any part is missing. Nothing in a bundle depends on the time
of the run: the same commit gives the same bytes, so the same hashes.

``--verify`` recomputes every hash and reports tampered, missing and unlisted files (exit 1).
Object stores use the standard client configuration: boto3's (``AWS_*`` variables, including
``AWS_ENDPOINT_URL``) for ``s3://``; google-cloud-storage's (application default credentials,
``STORAGE_EMULATOR_HOST``) for ``gs://``.
"""

from preflight.evidence.bundle import (
    Bundle,
    build_bundles,
    deployed_commit_from,
    redact_config,
    run_diff,
    verify,
    write_bundle,
)
from preflight.evidence.cli import add_arguments, run
from preflight.evidence.stores import LocalStore, open_store, storage_errors

__all__ = [
    "Bundle",
    "LocalStore",
    "add_arguments",
    "build_bundles",
    "deployed_commit_from",
    "open_store",
    "redact_config",
    "run",
    "run_diff",
    "storage_errors",
    "verify",
    "write_bundle",
]
