"""Recognising a credential written where plain config belongs, so that it is refused and never
repeated in an error message.

Config is printed back to operators in error messages and written into snapshots, evidence
bundles and logs; a credential has to live in the secret catalogue (``controlplane:secrets``,
bound by secret reference) or in a ``pulumi config set --secret`` key instead. The patterns are
the shapes credentials take in this stack's services: a URL with a password in it
(``postgres://user:password@host/db``), the token prefixes of the vendors the program talks to,
a JWT, a PEM private key, and a long random-looking string mixing upper case, lower case and
digits (hex digests, all lower case, are not taken for one).
"""

from __future__ import annotations

import re
from typing import Any

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a URL with a password", re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")),
    (
        "an API token",
        re.compile(
            r"\b(?:sbp_[0-9a-f]{20,}|sk_(?:live|test)_[0-9A-Za-z]{16,}|sk-[A-Za-z0-9_-]{20,}"
            r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}"
            r"|glpat-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})"
        ),
    ),
)
_RANDOM_RE = re.compile(r"[A-Za-z0-9+/_=-]{32,}")


def _random_looking(token: str) -> bool:
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and sum(c.isdigit() for c in token) >= 3
    )


def credential_in(text: str) -> str | None:
    """What kind of credential ``text`` holds (``"a URL with a password"``), or None."""
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    if any(_random_looking(m.group()) for m in _RANDOM_RE.finditer(text)):
        return "a random-looking token"
    return None


def holds_credential(value: Any) -> bool:
    """Whether any text inside ``value`` (nested lists and mappings included) is a credential."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if credential_in(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False


REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every credential-looking part replaced by ``[redacted]``."""
    for _kind, pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    # A URL's password goes with the rest of the token it sits in.
    text = re.sub(r"[^\s,;\"']*\[redacted\][^\s,;\"']*", REDACTED, text)
    return _RANDOM_RE.sub(lambda m: REDACTED if _random_looking(m.group()) else m.group(), text)
