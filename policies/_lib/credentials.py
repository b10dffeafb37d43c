"""Recognising a credential in disguise: by the name it is stored under, or by its value.

Names are split into words on separators and camelCase (``apiKey``, ``Api_Key``, ``pass_wd``),
and also read with the separators removed (``APIKEY``, ``PASSWD``, ``GITHUBTOKEN``), so that a
credential cannot hide behind another spelling. Values are recognised by shape: a URL with a
password (``scheme://user:pass@host``), the published prefixes of common tokens, a JWT, a PEM
private key, a command-line flag that carries a credential, or a long random-looking string.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

JOINED_MIN_LENGTH = 5
"""Words at least this long also count inside a name with its separators removed (``APIKEY``,
``PASSWD``, ``TOKEN``); shorter ones (``KEY``, ``PWD``) only as words, or ``MONKEY`` would be a
key."""


def name_words(name: str) -> list[str]:
    """The words of a name: ``Api_Key`` -> API, KEY; ``authToken`` -> AUTH, TOKEN."""
    words: list[str] = []
    for part in _SEPARATORS.split(name):
        words += [w.upper() for w in _CAMEL.split(part) if w]
    return words


def looks_like_credential(name: str, words: Iterable[str]) -> bool:
    """Whether ``name`` names a credential: one of its words is in ``words``, or, with the
    separators removed, it contains one of ``words`` that is ``JOINED_MIN_LENGTH`` or longer."""
    wanted = {w.upper() for w in words}
    if any(word in wanted for word in name_words(name)):
        return True
    joined = _SEPARATORS.sub("", name).upper()
    return any(word in joined for word in wanted if len(word) >= JOINED_MIN_LENGTH)


_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:[^\s/@]+@")
_PREFIXES = re.compile(
    r"(?:^|[^A-Za-z0-9])(sk_live_|sk_test_|rk_live_|pk_live_|whsec_|ghp_|gho_|ghu_|ghs_|ghr_|"
    r"github_pat_|glpat-|xox[abposr]-|xapp-|AKIA|ASIA|AIza|ya29\.|sbp_|npm_|dd[ap]_)"
    r"[A-Za-z0-9_\-]{8,}"
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_FLAG = re.compile(
    r"(?i)^--?[a-z0-9_-]*(?:password|passwd|pwd|token|secret|api[_-]?key|credentials?)"
    r"[a-z0-9_-]*[=:](?P<value>.+)$"
)
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9+/=_\-.]{32,}$")
ENTROPY_BITS = 4.0
"""Shannon entropy per character above which a long token-like string counts as a key (random
base64 is near 6, hex near 4, English words and URLs far lower)."""


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def secret_like_value(value: str) -> str | None:
    """Why ``value`` looks like a credential, or None."""
    if _URL_PASSWORD.search(value):
        return "a connection string with a password"
    if _PEM.search(value):
        return "a private key"
    if _JWT.search(value):
        return "a JSON web token"
    match = _PREFIXES.search(value)
    if match:
        return f"a token with the prefix {match.group(1)!r}"
    flag = _FLAG.match(value.strip())
    if flag and flag.group("value").strip():
        return "a command-line flag that carries a credential"
    if _TOKEN_CHARS.match(value) and _entropy(value) > ENTROPY_BITS:
        return "a long random-looking string (a key)"
    return None
