"""Stack and project files read as untrusted input: every bad file is one line, never a
traceback, and nothing YAML would silently accept (a repeated key, an alias) gets through."""

from __future__ import annotations

import pytest

from preflight.__main__ import main
from preflight.cli import UsageError
from preflight.yamlfile import MAX_DEPTH, load_mapping


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"- a\n- b\n",
            "stack.yaml: the top level must be a mapping (`key: value` lines), not a list",
        ),
        (
            b"just text\n",
            "stack.yaml: the top level must be a mapping (`key: value` lines), not a str",
        ),
        (b"config:\n  a: \xff\xfe\n", "stack.yaml: not UTF-8 text (byte 13); save it as UTF-8"),
        (
            b"config:\n  cp:x: 1\n  cp:x: 2\n",
            "stack.yaml line 3: sets 'cp:x' twice in one mapping; keep one",
        ),
        (
            b"a: &a [1, 2]\nb: *a\n",
            "stack.yaml line 2: uses a YAML alias (*name); write the value out instead",
        ),
        (b"config: [\n", "stack.yaml line 2: not valid YAML; fix the indentation or quoting"),
        (
            b"a: " + b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5) + b"\n",
            f"stack.yaml line 1: nests deeper than {MAX_DEPTH} levels; no config needs that",
        ),
    ],
    ids=["list", "scalar", "not-utf8", "repeated-key", "alias", "broken", "deep"],
)
def test_bad_files_are_one_line(tmp_path, content, expected):
    path = tmp_path / "stack.yaml"
    path.write_bytes(content)
    with pytest.raises(UsageError) as err:
        load_mapping(path)
    assert str(err.value) == expected


def test_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UsageError, match="uses a YAML alias"):
        load_mapping(path)


def test_a_directory_is_not_a_file(tmp_path):
    (tmp_path / "d.yaml").mkdir()
    with pytest.raises(UsageError, match="is a directory, not a YAML file"):
        load_mapping(tmp_path / "d.yaml")


def test_a_good_file_and_an_empty_one(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("config:\n  cp:a: 1\n  cp:b: [x, y]\n")
    assert load_mapping(good) == {"config": {"cp:a": 1, "cp:b": ["x", "y"]}}
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_mapping(empty) == {}


def _project(tmp_path, manifest: str, stack_file: bytes) -> str:
    (tmp_path / "Pulumi.yaml").write_text(manifest)
    (tmp_path / "Pulumi.dev.yaml").write_bytes(stack_file)
    return str(tmp_path)


@pytest.mark.parametrize(
    ("manifest", "stack_file", "expected"),
    [
        (
            "name: controlplane\nruntime: python\n",
            b"config:\n  controlplane:org: a\n  controlplane:org: b\n",
            "preflight: error: Pulumi.dev.yaml line 3: sets 'controlplane:org' twice in one "
            "mapping; keep one",
        ),
        (
            "name: controlplane\nruntime: python\n",
            b"- not\n- a mapping\n",
            "preflight: error: Pulumi.dev.yaml: the top level must be a mapping (`key: value` "
            "lines), not a list",
        ),
        (
            "runtime: python\n",
            b"config: {}\n",
            "needs `name: <project>` (a Pulumi project file)",
        ),
        (
            "- name\n",
            b"config: {}\n",
            "Pulumi.yaml: the top level must be a mapping (`key: value` lines), not a list",
        ),
    ],
    ids=["stack-repeated-key", "stack-list", "manifest-no-name", "manifest-list"],
)
def test_commands_stop_with_one_line(capsys, tmp_path, manifest, stack_file, expected):
    project = _project(tmp_path, manifest, stack_file)
    assert main(["synth", "--stack", "dev", "--project", project]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    [line] = [line for line in captured.err.splitlines() if "error" in line]
    assert line.endswith(expected), line


def test_a_file_read_again_is_an_equal_copy_and_a_changed_file_is_read_anew(tmp_path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  cp:alerts:\n    threshold: 40\n")
    first = load_mapping(path)
    first["config"]["cp:alerts"]["threshold"] = 1  # a caller changing its copy
    second = load_mapping(path)
    assert second == {"config": {"cp:alerts": {"threshold": 40}}}
    second["config"]["cp:alerts"]["threshold"] = 2  # and a caller changing a cached read
    assert load_mapping(path) == {"config": {"cp:alerts": {"threshold": 40}}}
    path.write_text("config:\n  cp:alerts:\n    threshold: 41\n")
    assert load_mapping(path) == {"config": {"cp:alerts": {"threshold": 41}}}
    path.write_text("config:\n  cp:x: 1\n  cp:x: 2\n")
    with pytest.raises(UsageError, match="sets 'cp:x' twice"):
        load_mapping(path)
