"""Where a bundle is written and read: a directory, ``gs://`` or ``s3://``."""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

MANIFEST = "manifest.json"
FORMAT = "controlplane-evidence/1"


class EvidenceError(Exception):
    """Usage, configuration or storage problem: one line, exit code 2."""


_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def check_name(name: object) -> str:
    """``name`` when it is a file name inside a bundle: a relative POSIX path of plain parts
    (letters, digits, ``._-``), none of them ``.`` or ``..``. A manifest is input, so a name
    that climbs out of the bundle (``../../etc/hostname``) or is absolute is an
    ``EvidenceError`` and is never read."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > 255:
        raise EvidenceError(
            f"{_shown(name)}: not a file name inside a bundle "
            "(a relative path of letters, digits, '.', '_' and '-')"
        )
    if any(part in (".", "..") for part in name.split("/")):
        raise EvidenceError(
            f"{_shown(name)}: climbs out of the bundle; a bundle names its own files"
        )
    return name


def _shown(name: object) -> str:
    text = repr(name)
    return text if len(text) <= 80 else text[:77] + "..."


class Store(Protocol):
    """Where a bundle lives: a directory or an object-store prefix."""

    @property
    def location(self) -> str: ...

    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes | None: ...

    def names(self) -> list[str]: ...


@dataclass
class LocalStore:
    root: Path

    @property
    def location(self) -> str:
        return str(self.root)

    def _inside(self, name: str) -> Path:
        """The path of ``name`` in the bundle; a name that climbs out, or a symlink on the way
        that points outside the bundle directory, is an ``EvidenceError``."""
        path = self.root / check_name(name)
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise EvidenceError(f"{name}: is a link that points outside the bundle {self.root}")
        return path

    def put(self, name: str, data: bytes) -> None:
        path = self._inside(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def get(self, name: str) -> bytes | None:
        path = self._inside(name)
        return path.read_bytes() if path.is_file() else None

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()
        )


def _split(target: str, scheme: str) -> tuple[str, str]:
    rest = target[len(scheme) :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise EvidenceError(f"{target}: name a bucket, e.g. {scheme}my-bucket/evidence/prod")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class S3Store:
    """s3://BUCKET/PREFIX through boto3 (imported only when used)."""

    def __init__(self, target: str) -> None:
        boto3 = importlib.import_module("boto3")
        self.location = target
        self.bucket, self.prefix = _split(target, "s3://")
        self.client = boto3.client("s3")

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def get(self, name: str) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = body.read()
        return data

    def names(self) -> list[str]:
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        ):
            out += [obj["Key"][len(self.prefix) :] for obj in page.get("Contents", [])]
        return sorted(out)


class GCSStore:
    """gs://BUCKET/PREFIX through google-cloud-storage (imported only when used)."""

    def __init__(self, target: str) -> None:
        storage = importlib.import_module("google.cloud.storage")
        self.location = target
        bucket, self.prefix = _split(target, "gs://")
        self.bucket = storage.Client().bucket(bucket)

    def put(self, name: str, data: bytes) -> None:
        self.bucket.blob(self.prefix + name).upload_from_string(data)

    def get(self, name: str) -> bytes | None:
        blob = self.bucket.get_blob(self.prefix + name)
        if blob is None:
            return None
        data: bytes = blob.download_as_bytes()
        return data

    def names(self) -> list[str]:
        return sorted(
            b.name[len(self.prefix) :]
            for b in self.bucket.client.list_blobs(self.bucket, prefix=self.prefix)
        )


def open_store(target: str) -> Store:
    """A store for DIR, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX."""
    if target.startswith("s3://"):
        return S3Store(target)
    if target.startswith("gs://"):
        return GCSStore(target)
    if "://" in target:
        raise EvidenceError(f"{target}: use a directory, s3://BUCKET/PREFIX or gs://BUCKET/PREFIX")
    return LocalStore(Path(target))


def storage_errors() -> tuple[type[BaseException], ...]:
    """Client errors that mean 'cannot reach or use the store' (reported in one line)."""
    errors: list[type[BaseException]] = [OSError]
    for module, names in (
        ("botocore.exceptions", ("BotoCoreError", "ClientError")),
        ("google.api_core.exceptions", ("GoogleAPIError",)),
        ("google.auth.exceptions", ("GoogleAuthError",)),
    ):
        # google.api_core warns on import about the Python versions it will support; that
        # notice is no error of the command's and would break its one-line output.
        with contextlib.suppress(ImportError), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            loaded = importlib.import_module(module)
            errors += [getattr(loaded, name) for name in names]
    return tuple(errors)
