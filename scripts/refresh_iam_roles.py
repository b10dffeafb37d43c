"""Refresh ``tools/vendor/iam-dataset/role_permissions.json`` from the public role dataset.

    git clone https://github.com/iann0036/iam-dataset && \
        python scripts/refresh_iam_roles.py iam-dataset/gcp/roles

The dataset's ``gcp/roles/`` holds one file per predefined role, each the output of ``gcloud iam
roles describe ROLE`` (``name``, ``includedPermissions``). This keeps the roles of ``ROLES``,
permissions sorted and de-duplicated, as deterministic JSON. A role of ``ROLES`` the dataset
lacks stops the refresh (exit 1) rather than vanishing. After a refresh, note the dataset's
commit in the README beside the file and run ``python -m preflight permissions --all``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tools" / "vendor" / "iam-dataset" / "role_permissions.json"

sys.path.insert(0, str(ROOT))
from bootstrap.config import (  # noqa: E402
    DEFAULT_DEPLOYER_ROLES,
    DEFAULT_GRANTABLE_ROLES,
    DEFAULT_PREVIEWER_ROLES,
)
from bootstrap.layout import ROLE_PROJECT_IAM_ADMIN  # noqa: E402

GRANTED: tuple[str, ...] = (
    *DEFAULT_DEPLOYER_ROLES,
    ROLE_PROJECT_IAM_ADMIN,  # the deployer's conditional project IAM grant
    *DEFAULT_GRANTABLE_ROLES,
    *DEFAULT_PREVIEWER_ROLES,
)
"""What the bootstrap grants a deployer or a previewer and what a deployer may grant: always
vendored."""

ALTERNATIVES: tuple[str, ...] = (
    # narrower or read-only roles weighed against the granted ones (least privilege, previewer)
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.viewer",
    "roles/iam.securityAdmin",
    "roles/iam.securityReviewer",
    "roles/iam.roleViewer",
    "roles/iam.serviceAccountViewer",
    "roles/iam.workloadIdentityUser",
    "roles/iam.workloadIdentityPoolAdmin",
    "roles/iam.workloadIdentityPoolViewer",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/serviceusage.serviceUsageViewer",
    "roles/viewer",
    "roles/browser",
    "roles/logging.admin",
    "roles/logging.bucketWriter",
    "roles/secretmanager.viewer",
    "roles/secretmanager.secretAccessor",
    "roles/secretmanager.secretVersionAdder",
    "roles/secretmanager.secretVersionManager",
    "roles/pubsub.viewer",
    "roles/pubsub.editor",
    "roles/pubsub.publisher",
    "roles/storage.objectViewer",
    "roles/storage.objectCreator",
    "roles/storage.objectAdmin",
    "roles/storage.bucketViewer",
    "roles/storage.legacyBucketReader",
    "roles/cloudscheduler.viewer",
    "roles/dataflow.admin",
)

ROLES: tuple[str, ...] = tuple(dict.fromkeys((*GRANTED, *ALTERNATIVES)))


def load_roles(directory: Path) -> dict[str, list[str]]:
    """``{role: permissions}`` from a directory of ``gcloud iam roles describe`` files."""
    roles: dict[str, list[str]] = {}
    for file in sorted(directory.glob("*.json")):
        obj = json.loads(file.read_text(encoding="utf-8"))
        if isinstance(obj, dict) and isinstance(obj.get("name"), str):
            roles[obj["name"]] = list(obj.get("includedPermissions", []))
    return roles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refresh the vendored role -> permissions data.")
    parser.add_argument("roles_dir", type=Path, help="the dataset's gcp/roles directory")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output file (default: {OUT.name})")
    args = parser.parse_args(argv)
    if not args.roles_dir.is_dir():
        print(
            f"refresh_iam_roles: {args.roles_dir} is not a directory: pass the dataset's gcp/roles",
            file=sys.stderr,
        )
        return 2
    dataset = load_roles(args.roles_dir)
    missing = sorted(set(ROLES) - set(dataset))
    if missing:
        print(
            f"refresh_iam_roles: the dataset lacks {', '.join(missing)}; nothing written",
            file=sys.stderr,
        )
        return 1
    result = {role: sorted(set(dataset[role])) for role in sorted(set(ROLES))}
    args.out.write_text(json.dumps(result, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    print(f"refresh_iam_roles: wrote {len(result)} roles to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
