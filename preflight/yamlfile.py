"""Reading the project's YAML files (``Pulumi.yaml``, ``Pulumi.<stack>.yaml``) as untrusted input.

Every problem is one line naming the file, the line where it can, and what to write instead;
nothing is echoed from the file. Beyond well-formed YAML, a file must be UTF-8 text, a mapping
at the top, free of repeated keys (YAML's "last one wins" would silently drop a value an
operator set), free of anchors and aliases (never needed in these files, and the way to build
an exponentially large document from a small one), and nested no deeper than any real file is.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

from preflight.cli import UsageError

MAX_DEPTH = 40
"""Deeper nesting than this is refused (the stack files nest five or six levels)."""


class _Refused(Exception):
    def __init__(self, message: str, node_or_mark: Any = None) -> None:
        super().__init__(message)
        mark = getattr(node_or_mark, "start_mark", node_or_mark)
        self.line = mark.line + 1 if mark is not None and hasattr(mark, "line") else None


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases, repeated keys or unbounded nesting."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _Refused(
                "uses a YAML alias (*name); write the value out instead", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    f"nests deeper than {MAX_DEPTH} levels; no config needs that",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_strict_bool(self, node: ScalarNode) -> bool:
        """``true``/``false`` only. PyYAML follows YAML 1.1, where a plain ``yes``, ``no``,
        ``on`` or ``off`` is a boolean; the Pulumi CLI reads YAML 1.2, where each is the text
        it spells. ``org: yes`` would be the config text ``true`` here and ``yes`` there, so
        it is refused: quote it for text, or write true/false."""
        if node.value in _BOOLEANS:
            return bool(super().construct_yaml_bool(node))
        raise _Refused(
            f"`{node.value}` is a YAML 1.1 boolean that the Pulumi CLI reads as text: quote it "
            f"('{node.value}') for text, or write true or false",
            node,
        )

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:
                raise _Refused("has a mapping key that is not a plain value", key_node) from None
            if repeated:
                raise _Refused(f"sets {key!r} twice in one mapping; keep one", key_node)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_BOOLEANS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})
"""The booleans of YAML 1.2's core schema, which the Pulumi CLI reads."""
_StrictLoader.add_constructor("tag:yaml.org,2002:bool", _StrictLoader.construct_strict_bool)


_PARSED: dict[bytes, dict[str, Any]] = {}
"""Documents already parsed in this process, by their bytes: one run reads each stack file
several times (input checks before any work, then the program's config), and PyYAML's pure
Python loader costs a few tenths of a second per read of these files. Only successes are kept,
and every caller gets its own copy."""
_CACHED_FILES = 32
_CACHED_BYTES = 1 << 20


def load_mapping(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path`` (an empty file is an empty mapping), or a ``UsageError``."""
    name = path.name
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a YAML file") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read it ({err.strerror})") from None
    if data in _PARSED:
        return copy.deepcopy(_PARSED[data])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"{name}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    try:
        # _StrictLoader is a SafeLoader subclass: no arbitrary objects are constructed.
        doc = yaml.load(text, Loader=_StrictLoader)  # noqa: S506  # nosec B506
    except _Refused as err:
        where = f" line {err.line}" if err.line is not None else ""
        raise UsageError(f"{name}{where}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{name}{where}: not valid YAML; fix the indentation or quoting") from None
    except RecursionError:
        raise UsageError(f"{name}: nests too deeply; no config needs that") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise UsageError(
            f"{name}: the top level must be a mapping (`key: value` lines), "
            f"not a {type(doc).__name__}"
        )
    if len(data) <= _CACHED_BYTES:
        if len(_PARSED) >= _CACHED_FILES:
            _PARSED.clear()
        _PARSED[data] = copy.deepcopy(doc)
    return doc
