"""Reading the commands out of Markdown: fenced blocks, inline code spans and shell lines.

The conventions these functions implement are stated once, in the docstring of
``tests/test_docs_commands.py``; this module only splits text.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
EXIT_MARKER = re.compile(r"<!--\s*exit:\s*(\d+)\s*-->\s*$")
INLINE = re.compile(r"(?<!`)`([^`\n]+(?:\n[^`\n]+)*?)`(?!`)")
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>")
SUBST = re.compile(r"\$\(([^()]*)\)")
SEPARATORS = ("&&", "||", ";", "|")


@dataclass
class Block:
    """A fenced code block: its language, its lines and the exit code its marker expects."""

    doc: Path
    line: int
    lang: str
    body: str
    exit: int
    start: int


@dataclass
class Span:
    """An inline code span of the prose, with the paragraph around it."""

    doc: Path
    line: int
    text: str
    paragraph: str
    start: int


@dataclass
class Segment:
    """One simple command of a shell line: its words, its redirect targets, what it assigns."""

    argv: list[str]
    redirects: list[str] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    comment: str = ""


def blocks(doc: Path, text: str) -> list[Block]:
    found = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = EXIT_MARKER.search(before)
        found.append(
            Block(
                doc=doc,
                line=text.count("\n", 0, m.start()) + 1,
                lang=m.group("lang"),
                body=m.group("body"),
                exit=int(marker.group(1)) if marker else 0,
                start=m.start(),
            )
        )
    return found


def spans(doc: Path, text: str) -> list[Span]:
    """Inline code spans outside fenced blocks, each with its paragraph (blank-line separated)."""
    masked = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    for paragraph in re.finditer(r"(?:[^\n]+\n?)+", masked):
        for m in INLINE.finditer(paragraph.group(0)):
            start = paragraph.start() + m.start()
            found.append(
                Span(
                    doc=doc,
                    line=text.count("\n", 0, start) + 1,
                    text=" ".join(m.group(1).split()),
                    paragraph=paragraph.group(0),
                    start=start,
                )
            )
    return found


def logical_lines(body: str, console: bool) -> list[tuple[str, list[str]]]:
    """The commands of a block, continuation lines joined, each with the output lines shown
    after it (``console`` blocks: commands start with ``$ ``; the rest is their output)."""
    lines: list[tuple[str, list[str]]] = []
    pending = ""
    for raw in body.splitlines():
        line = raw.strip()
        if console and not pending:
            if line.startswith("$ "):
                line = line[2:]
            else:
                if lines and line:
                    lines[-1][1].append(raw.rstrip())
                continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line and not line.startswith("#"):
            lines.append((line, []))
    return lines


def _split_unquoted(line: str) -> tuple[list[str], str]:
    """``line`` cut at unquoted ``&&``, ``||``, ``;`` and ``|``; the trailing ``#`` comment."""
    parts, current, quote, i = [], "", "", 0
    while i < len(line):
        c = line[i]
        if quote:
            current += c
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            current += c
        elif c == "#" and (not current or current[-1].isspace()):
            parts.append(current)
            return [p for p in parts if p.strip()], line[i + 1 :].strip()
        else:
            sep = next((s for s in SEPARATORS if line.startswith(s, i)), None)
            if sep and not (sep == "|" and line.startswith("||", i)):
                parts.append(current)
                current = ""
                i += len(sep)
                continue
            current += c
        i += 1
    parts.append(current)
    return [p for p in parts if p.strip()], ""


def segments(line: str) -> list[Segment]:
    """The simple commands of one shell line, command substitutions included (first)."""
    holders: dict[str, str] = {}

    def hold(m: re.Match[str]) -> str:
        key = f"PLACEHOLDER{len(holders)}"
        holders[key] = m.group(0)
        return key

    line = re.sub(r"\[-[^\]]*\]", "", line)  # optional flags shown as [--check]
    line = PLACEHOLDER.sub(hold, line)
    inner: list[str] = []

    def subst(m: re.Match[str]) -> str:
        inner.append(m.group(1))
        return "SUBSTITUTED"

    line = SUBST.sub(subst, line)
    found: list[Segment] = []
    for text in inner:
        found += _segments_of(text, holders)
    found += _segments_of(line, holders)
    return found


def _segments_of(line: str, holders: dict[str, str]) -> list[Segment]:
    parts, comment = _split_unquoted(line)
    out = []
    for part in parts:
        words = shlex.split(part)
        seg = Segment(argv=[], comment=comment)
        i = 0
        while i < len(words):
            word = words[i]
            redirect = re.match(r"^(\d?>>?|&>)(.*)$", word)
            if redirect:
                target = redirect.group(2) or (words[i + 1] if i + 1 < len(words) else "")
                if not target.startswith("&"):
                    seg.redirects.append(target)
                i += 1 if redirect.group(2) else 2
                continue
            if not seg.argv and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word):
                seg.assigns.append(word.split("=", 1)[0])
                i += 1
                continue
            for key, original in holders.items():
                if key in word:
                    seg.placeholders.append(original)
                    word = word.replace(key, original)
            seg.argv.append(word)
            i += 1
        out.append(seg)
    return out
