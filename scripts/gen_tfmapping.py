"""Regenerate preflight/checkov/mapping.json: Pulumi type tokens and property names -> Terraform
names.

pulumi-gcp is bridged from the Terraform Google provider. The bridge renames things in ways that a
camelCase -> snake_case conversion gets wrong: list blocks are pluralised (``lifecycle_rule`` ->
``lifecycleRules``, ``env`` -> ``envs``), one-element blocks (``maxItemsOne``) are flattened to
objects, ``terraform_labels`` becomes ``pulumiLabels``. Two sources are combined:

- the bridge metadata (``tools/vendor/pulumi-gcp/bridge-metadata.json``, the vendored copy trimmed
  to TYPES; its README names the upstream file, commit and licence): the Terraform type of each
  token, every list/set field recursively with its ``maxItemsOne`` flag, the label renames and the
  ``maxItemsOne`` overrides;
- the installed pulumi_gcp SDK: the property names and types of each resource's ``*Args`` class
  and its nested ``pulumi.input_type`` classes.

Usage: ``python scripts/gen_tfmapping.py [--check] [--metadata FILE]``. ``--check`` exits 1 when the
committed mapping differs from a fresh generation (the same comparison the tests run).
``python scripts/gen_tfmapping.py --vendor UPSTREAM.json`` rewrites the vendored copy from a full
upstream ``bridge-metadata.json``, keeping only the entries of TYPES (run it when TYPES grows).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import sys
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MAPPING_PATH = REPO / "preflight" / "checkov" / "mapping.json"
METADATA_PATH = REPO / "tools" / "vendor" / "pulumi-gcp" / "bridge-metadata.json"

# The GCP resource types the program declares (or is expected to declare). Add a token here and
# regenerate when a component starts using a new type: tfplan lists unmapped gcp types on stderr
# and `preflight scan` fails on them.
TYPES: tuple[str, ...] = (
    "gcp:cloudrunv2/job:Job",
    "gcp:cloudrunv2/jobIamMember:JobIamMember",
    "gcp:cloudrunv2/service:Service",
    "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding",
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
    "gcp:cloudrunv2/serviceIamPolicy:ServiceIamPolicy",
    "gcp:cloudrunv2/workerPool:WorkerPool",
    "gcp:cloudscheduler/job:Job",
    "gcp:dataflow/job:Job",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding",
    "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
    "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig",
    "gcp:logging/projectSink:ProjectSink",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMPolicy:IAMPolicy",
    "gcp:projects/service:Service",
    "gcp:projects/serviceIdentity:ServiceIdentity",
    "gcp:pubsub/subscription:Subscription",
    "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
    "gcp:pubsub/topic:Topic",
    "gcp:pubsub/topicIAMBinding:TopicIAMBinding",
    "gcp:pubsub/topicIAMMember:TopicIAMMember",
    "gcp:pubsub/topicIAMPolicy:TopicIAMPolicy",
    "gcp:secretmanager/secret:Secret",
    "gcp:secretmanager/secretIamBinding:SecretIamBinding",
    "gcp:secretmanager/secretIamMember:SecretIamMember",
    "gcp:secretmanager/secretIamPolicy:SecretIamPolicy",
    "gcp:secretmanager/secretVersion:SecretVersion",
    "gcp:serviceaccount/account:Account",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    "gcp:storage/bucket:Bucket",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding",
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    "gcp:storage/bucketIAMPolicy:BucketIAMPolicy",
)

# Output-only label maps the bridge renames (from the metadata's `fix-label-names`).
LABEL_RENAMES = {"terraform_labels": "pulumiLabels", "effective_labels": "effectiveLabels"}


class MappingError(Exception):
    """The metadata and the SDK disagree in a way the generator cannot resolve."""


def camel(name: str) -> str:
    """Terraform attribute name -> Pulumi property name, before any pluralisation."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pulumi_candidates(tf_name: str, max_items_one: bool) -> list[str]:
    """The Pulumi names the bridge may give to a Terraform list/set field."""
    forms = [tf_name]
    if not max_items_one:
        forms += [tf_name + "s", tf_name + "es"]
        if tf_name.endswith("y"):
            forms.append(tf_name[:-1] + "ies")
    return [camel(form) for form in forms]


def sdk_classes() -> dict[str, tuple[str, str]]:
    """Type token -> (module, class name), read from the SDK's own resource registration."""
    spec = importlib.util.find_spec("pulumi_gcp")
    if spec is None or spec.origin is None:
        raise MappingError("pulumi_gcp is not installed: run this script with the project venv")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "register"
        ):
            for kw in node.keywords:
                if (
                    kw.arg == "resource_modules"
                    and isinstance(kw.value, ast.Constant)
                    and isinstance(kw.value.value, str)
                ):
                    out: dict[str, tuple[str, str]] = {}
                    for entry in json.loads(kw.value.value):
                        for token, cls in entry["classes"].items():
                            out[token] = (entry["fqn"], cls)
                    return out
    raise MappingError("could not find the resource registration in pulumi_gcp/__init__.py")


def _unwrap(tp: Any) -> Any:
    """Strip pulumi.Input's Union[T, Awaitable[T], Output[T]] and Optional down to T."""
    while typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        tp = args[0]
    return tp


def classify(tp: Any) -> tuple[str, type | None]:
    """SDK type annotation -> (kind, nested input class or None)."""
    import pulumi._types as pulumi_types

    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        value = _unwrap(typing.get_args(tp)[1])
        if isinstance(value, type) and pulumi_types.is_input_type(value):
            raise MappingError(f"map of objects is not supported: {tp}")
        return "map", None
    if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence):
        elem = _unwrap(typing.get_args(tp)[0])
        if isinstance(elem, type) and pulumi_types.is_input_type(elem):
            return "blocks", elem
        return "values", None
    if isinstance(tp, type) and pulumi_types.is_input_type(tp):
        return "block", tp
    return "value", None


def _tf_fields(fields: Mapping[str, Any], overrides: Mapping[str, bool], path: str) -> dict:
    """Metadata fields with the maxItemsOne overrides applied (override keys use `a.$.b`)."""
    out = {}
    for tf_name, spec in fields.items():
        key = f"{path}.$.{tf_name}" if path else tf_name
        out[tf_name] = {
            "maxItemsOne": overrides.get(key, spec.get("maxItemsOne", False)),
            "fields": spec.get("elem", {}).get("fields", {}),
            "key": key,
        }
    return out


def map_properties(
    where: str,
    props: Mapping[str, Any],
    fields: Mapping[str, Any],
    overrides: Mapping[str, bool],
    path: str = "",
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Map one object level: SDK properties (Pulumi name -> type) against metadata fields."""
    import pulumi._types as pulumi_types

    tf_fields = _tf_fields(fields, overrides, path)
    by_pulumi: dict[str, str] = {}
    for tf_name, spec in tf_fields.items():
        for candidate in pulumi_candidates(tf_name, spec["maxItemsOne"]):
            if candidate in props:
                by_pulumi[candidate] = tf_name
                break
    notes: list[str] = []
    out: dict[str, dict[str, Any]] = {}
    for pname in sorted(props):
        kind, nested = classify(props[pname])
        entry: dict[str, Any]
        if pname in by_pulumi:
            tf_name = by_pulumi[pname]
            spec = tf_fields[tf_name]
            if kind == "value" and spec["maxItemsOne"]:
                raise MappingError(
                    f"{where}.{pname}: a flattened one-element list of scalars is not supported"
                )
            if kind == "values" and spec["maxItemsOne"]:
                raise MappingError(f"{where}.{pname}: list in the SDK but maxItemsOne in Terraform")
            if kind == "block" and not spec["maxItemsOne"]:
                raise MappingError(f"{where}.{pname}: object in the SDK but a list in Terraform")
            entry = {"tf": tf_name, "kind": kind}
            sub_fields = spec["fields"]
            sub_path = spec["key"]
        else:
            tf_name = "".join("_" + c.lower() if c.isupper() else c for c in pname)
            if kind in ("values", "blocks"):
                raise MappingError(
                    f"{where}.{pname}: list property with no list field in the bridge metadata; "
                    "add the Terraform name to the metadata or extend this script"
                )
            if kind == "block":
                notes.append(
                    f"{where}.{pname}: not in the bridge metadata, assumed a maxItemsOne block"
                )
            entry = {"tf": tf_name, "kind": kind}
            sub_fields = {}
            sub_path = f"{path}.$.{tf_name}" if path else tf_name
        if nested is not None:
            sub_props = pulumi_types.input_type_types(nested)
            entry["fields"], sub_notes = map_properties(
                f"{where}.{pname}", sub_props, sub_fields, overrides, sub_path
            )
            notes += sub_notes
        out[pname] = entry
    return out, notes


def generate(metadata: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Build the mapping for TYPES from the bridge metadata and the installed SDK."""
    import pulumi._types as pulumi_types

    resources = metadata["auto-aliasing"]["resources"]
    settings = metadata.get("auto-settings", {}).get("resources", {})
    label_fixes = metadata.get("fix-label-names", {}).get("resources", {})
    by_token: dict[str, str] = {}
    for tf_type, spec in resources.items():
        for token in [spec["current"], *spec.get("past", [])]:
            by_token.setdefault(token if isinstance(token, str) else token["name"], tf_type)
    classes = sdk_classes()
    out: dict[str, Any] = {}
    notes: list[str] = []
    for token in sorted(TYPES):
        if token not in by_token:
            raise MappingError(f"{token}: not in the bridge metadata")
        if token not in classes:
            raise MappingError(f"{token}: not in the installed pulumi_gcp SDK")
        tf_type = by_token[token]
        module_name, class_name = classes[token]
        module = importlib.import_module(module_name)
        args_cls = getattr(module, class_name + "Args")
        props = pulumi_types.input_type_types(args_cls)
        overrides = settings.get(tf_type, {}).get("maxItemsOneOverrides", {})
        properties, type_notes = map_properties(
            token, props, resources[tf_type].get("fields", {}), overrides
        )
        notes += type_notes
        outputs = pulumi_types.resource_py_to_pulumi_names(getattr(module, class_name)).values()
        for tf_label in label_fixes.get(tf_type, []):
            pulumi_name = LABEL_RENAMES[tf_label]
            if pulumi_name in outputs:
                properties[pulumi_name] = {"tf": tf_label, "kind": "map", "output": True}
        out[token] = {"terraform_type": tf_type, "properties": dict(sorted(properties.items()))}
    return out, notes


def trim(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the upstream bridge metadata the generator reads, for the Terraform types of
    TYPES only (every type whose current or past token is one of TYPES, in upstream order)."""
    wanted = set(TYPES)
    resources = metadata["auto-aliasing"]["resources"]
    keep = [
        tf_type
        for tf_type, spec in resources.items()
        if wanted
        & {t if isinstance(t, str) else t["name"] for t in [spec["current"], *spec.get("past", [])]}
    ]

    def section(name: str) -> dict[str, Any]:
        entries = metadata.get(name, {}).get("resources", {})
        return {"resources": {t: entries[t] for t in keep if t in entries}}

    return {
        "auto-aliasing": {"resources": {t: resources[t] for t in keep}},
        "auto-settings": section("auto-settings"),
        "fix-label-names": section("fix-label-names"),
    }


def render(metadata_bytes: bytes) -> tuple[str, list[str]]:
    """The full mapping.json text for the given metadata file contents."""
    resources, notes = generate(json.loads(metadata_bytes))
    doc = {
        "about": (
            "Generated by scripts/gen_tfmapping.py from the pulumi-gcp bridge metadata and the "
            "installed pulumi_gcp SDK; do not edit by hand."
        ),
        "kinds": {
            "value": "scalar, exported as is",
            "values": "list of scalars",
            "map": "map whose keys are user data and never renamed",
            "block": "object flattened from a maxItemsOne block: exported as a 1-element list",
            "blocks": "list of objects",
        },
        "source": {
            "bridge_metadata_sha256": hashlib.sha256(metadata_bytes).hexdigest(),
            "pulumi_gcp": importlib.metadata.version("pulumi_gcp"),
        },
        "resources": resources,
    }
    return json.dumps(doc, indent=1, sort_keys=False) + "\n", notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metadata", type=Path, default=METADATA_PATH)
    parser.add_argument(
        "--vendor",
        type=Path,
        metavar="UPSTREAM",
        help="rewrite the vendored metadata from a full upstream bridge-metadata.json",
    )
    parser.add_argument(
        "--check", action="store_true", help="fail when the committed copy is stale"
    )
    args = parser.parse_args(argv)
    if args.vendor is not None:
        trimmed = trim(json.loads(args.vendor.read_bytes()))
        METADATA_PATH.write_text(json.dumps(trimmed, indent=1) + "\n", encoding="utf-8")
        count = len(trimmed["auto-aliasing"]["resources"])
        print(f"wrote {METADATA_PATH.relative_to(REPO)} ({count} types)")
        return 0
    if not args.metadata.is_file():
        print(
            f"gen_tfmapping: bridge metadata not found at {args.metadata}: "
            f"the repository vendors it at {METADATA_PATH.relative_to(REPO)}; pass --metadata FILE",
            file=sys.stderr,
        )
        return 2
    try:
        text, notes = render(args.metadata.read_bytes())
    except MappingError as exc:
        print(f"gen_tfmapping: {exc}", file=sys.stderr)
        return 1
    if args.check:
        current = MAPPING_PATH.read_text(encoding="utf-8") if MAPPING_PATH.exists() else ""
        if current != text:
            print(
                f"gen_tfmapping: {MAPPING_PATH.relative_to(REPO)} is stale: "
                "run `python scripts/gen_tfmapping.py` and commit the result",
                file=sys.stderr,
            )
            return 1
        return 0
    for note in notes:
        print(f"gen_tfmapping: note: {note}", file=sys.stderr)
    MAPPING_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {MAPPING_PATH.relative_to(REPO)} ({len(TYPES)} resource types)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
