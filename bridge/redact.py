"""The one place that decides what of a URL, a connection string or a message may be shown.

A bottom layer: the standard library only, so that every other module may use it.

- :func:`redact_url`: a URL (absolute or relative), a request's parsed URL (``httpx.URL`` and
  anything with its ``userinfo`` / ``query`` / ``fragment``) or a PostgreSQL key-value conninfo
  string, fit to log: ``user[:password]@`` becomes ``***@``, and the value of every query or
  fragment parameter, or conninfo key, whose name is secret (:func:`is_secret_name`) becomes
  ``REDACTED``. Everything else is kept as it was written (nothing is re-encoded).
- :func:`redact_text`: free text (an error message) with each URL in it redacted as above, the
  value of an ``Authorization`` header masked and ``name=value`` pairs whose name is plainly a
  secret (``password=``, ``api_key=``, ``token=``...) masked.
- :func:`is_secret_name`: whether a (decoded) parameter name names a secret.
- :func:`printable`: text fit for a terminal: every C0/C1 control character but newline and tab
  written as ``\\u001b`` (an escape sequence in a vendor's hold-code description would move
  the cursor or rewrite the screen).
- :func:`split_userinfo`: a URL's ``user[:password]`` apart from the rest, found as above.

Which names are secret: the name is decoded first (``tok%65n``, ``+token+`` and ``%20token``
are ``token``), then it is secret when

- one of its words (split at separators and camelCase: ``api-key``, ``apiKey``, ``X-Api-Key``)
  is ``key``, ``auth``, ``sig``, ``pw``, ``pass``, ``cred``, ``creds``, ``otp`` or ``bearer``;
- it contains ``token``, ``secret``, ``passw``, ``pwd``, ``passphrase``, ``credential``,
  ``signature``, ``session``, ``jwt``, ``hmac`` or ``auth`` (not ``author``/``authority``,
  ``authorization`` is): ``access_token``, ``clientSecret``, ``oauth``, ``authcode``;
- or it ends in ``key`` or ``sig`` (``apikey``, ``secretkey``, ``privatekey``, ``hmacsig``).

So a name that ends in ``key`` is taken for a key even when it is a word of its own (``monkey``,
``hockey`` are masked: a false alarm costs a log value, a miss a credential); one that merely
contains it elsewhere (``keyboard``, ``keyword``, ``keys``) is not, nor are ``design``,
``signal`` or ``author``. Matching is ASCII case-insensitive, so that the quick look at a parsed
URL's decoded query (:data:`_MAYBE`) finds every name the full parse would mask.
"""

from __future__ import annotations

import re
import string
from typing import Protocol
from urllib.parse import unquote, unquote_plus, unquote_to_bytes

__all__ = [
    "MASK",
    "USERINFO_MASK",
    "ParsedURL",
    "is_secret_name",
    "redact_text",
    "redact_url",
    "split_userinfo",
]

#: What a secret parameter's value is shown as.
MASK = "REDACTED"
#: What ``user[:password]`` is shown as.
USERINFO_MASK = "***"


class ParsedURL(Protocol):
    """A URL already parsed (``httpx.URL``): its raw user info and query, its fragment."""

    @property
    def userinfo(self) -> bytes: ...

    @property
    def query(self) -> bytes: ...

    @property
    def fragment(self) -> str: ...


# -- names --------------------------------------------------------------------------------------

_WORDS = frozenset({"key", "auth", "sig", "pw", "pass", "cred", "creds", "otp", "bearer"})
_STEMS = re.compile(
    r"token|secret|passw|pwd|passphrase|credential|signature|session|jwt|hmac|auth(?!or(?!iz))"
)
_SUFFIXES = ("key", "sig")
#: camelCase words of a name: ``APIKey`` -> API, Key; ``secretKey2`` -> secret, Key, 2.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_TRAILING = re.compile(r"[^0-9a-z]+$")
#: Every word, stem and suffix above holds one of these: a text without any, lower-cased, has no
#: secret name. Looked for in the lower-cased text (a case-blind regex took 0.4 ms over a query of
#: 250 labels): by a regex in a short text, by plain substring tests in a long one (~60 us there).
_MAYBE = (
    "key",
    "auth",
    "sig",
    "pw",
    "pass",
    "cred",
    "otp",
    "bearer",
    "token",
    "secret",
    "session",
    "jwt",
    "hmac",
)
_MAYBE_RE = re.compile("|".join(_MAYBE))
_MAYBE_BYTES = tuple(stem.encode() for stem in _MAYBE)
_MAYBE_RE_BYTES = re.compile(b"|".join(_MAYBE_BYTES))
_LONG = 512


def _may_name_a_secret(low: str) -> bool:
    if len(low) < _LONG:
        return _MAYBE_RE.search(low) is not None
    return any(stem in low for stem in _MAYBE)


def _may_name_a_secret_bytes(low: bytes) -> bool:
    if len(low) < _LONG:
        return _MAYBE_RE_BYTES.search(low) is not None
    return any(stem in low for stem in _MAYBE_BYTES)


def is_secret_name(name: str) -> bool:
    """Whether a parameter called ``name`` (already decoded) carries a secret; see the module."""
    low = name.translate(_ASCII_LOWER)
    if not _may_name_a_secret(low):
        return False
    if _STEMS.search(low) or _TRAILING.sub("", low).endswith(_SUFFIXES):
        return True
    return any(word.translate(_ASCII_LOWER) in _WORDS for word in _WORD.findall(name))


# -- URLs ---------------------------------------------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
#: Where an authority ends when nothing in it is odd.
_AUTHORITY_END = re.compile(r"[/?#]")
_PARAM_SEPARATOR = re.compile(r"([&;])")
#: A conninfo string starts with ``keyword=``.
_CONNINFO = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*=")
#: One ``keyword = value`` of a conninfo string; a value is quoted ('a b', backslash escapes) or
#: runs to the next blank (backslash escapes too); an unclosed quote runs to the end.
_CONNINFO_PAIR = re.compile(
    r"""(?<!\S)(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<eq>\s*=\s*)"""
    r"""(?P<value>'(?:\\.|[^'\\])*(?:'|\\?$)|(?:\\.|\\$|[^\s\\])*)""",
    re.DOTALL,
)


def split_userinfo(url: str) -> tuple[str, str | None, str]:
    """``(scheme://, user[:password] or None, the rest)`` of an absolute URL; ``("", None, url)``
    for anything else.

    A password may hold ``/``, ``?``, ``#`` or ``@`` unencoded (an operator's setting), so when
    what precedes the first of ``/?#`` has a ``:`` (``user:pa/ss@host``) the user info runs to
    the last ``@`` of all (``u:p@h/p?e=a@b`` and ``host:8080/p?e=a@b`` are masked up to ``b``:
    better a host too many than a password shown); otherwise it runs to the last ``@`` before
    the first ``/?#`` (``user@host``; ``host/users/a@b`` and ``[::1]:8080/p?e=a@b`` have none).
    """
    m = _SCHEME.match(url)
    if not m:
        return "", None, url
    head, rest = url[: m.end()], url[m.end() :]
    at = rest.rfind("@")
    if at < 0:
        return head, None, rest
    first = _AUTHORITY_END.search(rest)
    authority = rest[: first.start()] if first else rest
    if first and first.start() < at and (":" not in authority or authority.startswith("[")):
        at = authority.rfind("@")  # no password before the path ([v6]:port is no user:password)
        if at < 0:
            return head, None, rest
    return head, rest[:at], rest[at + 1 :]


def _mask_params(params: str) -> str:
    """``a=1&token=x;b`` -> ``a=1&token=REDACTED;b``: names decoded before they are judged.

    Pieces without ``=`` right after a masked value are taken as more of it (a raw ``&`` or
    ``;`` inside a secret) and dropped with it."""
    if "=" not in params:
        return params
    out: list[str] = []
    masking = False
    pieces = _PARAM_SEPARATOR.split(params)  # [param, sep, param, sep, ..., param]
    for i in range(0, len(pieces), 2):
        piece = pieces[i]
        name, eq, _ = piece.partition("=")
        if masking and not eq:
            continue
        masking = bool(eq) and is_secret_name(unquote_plus(name, errors="replace").strip())
        if i:
            out.append(pieces[i - 1])
        out.append(f"{name}={MASK}" if masking else piece)
    return "".join(out)


def _redact_str(url: str, userinfo: bytes | None) -> str:
    """``url`` redacted; ``userinfo``: the parsed URL's own (``b""``: none), None: not parsed."""
    if userinfo is None:
        head, user, rest = split_userinfo(url)
    elif userinfo:  # as the parsed URL has it: encoded, and so cut exactly
        head, _, rest = url.partition("://")
        head, user = head + "://", userinfo.decode("ascii", "replace")
        if rest.startswith(user + "@"):
            rest = rest[len(user) + 1 :]
        else:  # not as expected: the cautious reading
            head, user, rest = split_userinfo(url)
    else:
        head, user, rest = "", None, url
    if user is not None:
        head += f"{USERINFO_MASK}@"
    elif not head and not _SCHEME.match(rest) and _CONNINFO.match(rest):
        return _CONNINFO_PAIR.sub(_mask_conninfo_pair, rest)
    rest, hash_, fragment = rest.partition("#")
    path, mark, query = rest.partition("?")
    return f"{head}{path}{mark}{_mask_params(query)}{hash_}{_mask_params(fragment)}"


def _mask_conninfo_pair(m: re.Match[str]) -> str:
    return f"{m['key']}{m['eq']}{MASK}" if is_secret_name(m["key"]) else m[0]


def redact_url(url: str | ParsedURL) -> str:
    """``url`` fit to log or show: no ``user[:password]`` (``***@``), the values of secret query
    and fragment parameters (conninfo keys, for ``host=... password=...``) ``REDACTED``.

    Quick when there is nothing to hide: a parsed URL whose decoded query and fragment name no
    secret, and that has no user info, is returned as it is without being re-read (a request's
    query may hold hundreds of labels)."""
    if isinstance(url, str):
        if "@" not in url and not _may_name_a_secret(unquote(url, errors="replace").lower()):
            return url
        return _redact_str(url, None)
    if not url.userinfo:
        query, fragment = url.query, url.fragment
        # the query as bytes, decoded and lower-cased: ASCII only, as names are matched
        if not (query and _may_name_a_secret_bytes(unquote_to_bytes(query).lower())) and not (
            fragment and _may_name_a_secret(fragment.lower())
        ):
            return str(url)
    return _redact_str(str(url), url.userinfo)


# -- free text ----------------------------------------------------------------------------------

#: What ``redact_text`` looks for, in this order at any one place: a URL (to the next blank or
#: quote), an Authorization header's value (as text or a dict's repr: ``Authorization: Basic
#: dTpw...``), and ``name=value`` whose name is plainly a secret (the short words ``key``,
#: ``auth``, ``sig`` are left to URLs and conninfo: in a sentence ``unit_key=perf-1`` is no secret).
_IN_TEXT = re.compile(
    r"""(?P<url>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'"<>]*)"""
    r"""|(?P<auth>authorization['"]?\s*[:=]\s*['"]?)(?:(?P<scheme>Basic|Bearer)\s+)?[^\s'",}]+"""
    r"""|(?<![\w.-])(?P<name>[\w.-]*?(?:token|secret|passw|pwd|passphrase|credential|signature"""
    r"""|api[_-]?key|private[_-]?key|access[_-]?key)[\w.-]*)(?P<eq>\s*=\s*)"""
    r"""(?:'(?:\\.|[^'\\])*(?:'|\\?$)|"[^"]*"?|[^\s'"]+)""",
    re.IGNORECASE | re.DOTALL,
)


def _mask_in_text(m: re.Match[str]) -> str:
    if m["url"] is not None:
        return redact_url(m["url"])
    if m["auth"] is not None:
        return f"{m['auth']}{m['scheme'] + ' ' if m['scheme'] else ''}{USERINFO_MASK}"
    return f"{m['name']}{m['eq']}{MASK}"


def redact_text(text: str) -> str:
    """``text`` (an error message, a log line) with every URL in it redacted by
    :func:`redact_url`, an ``Authorization`` value as ``***`` (its Basic/Bearer kept) and the
    value of ``password=``, ``token=``, ``api_key=``... (conninfo, a form, a repr) ``REDACTED``.

    Secrets this process loaded are :func:`bridge.config.redact`'s: it knows them, this does not.
    """
    return _IN_TEXT.sub(_mask_in_text, text)


# -- text fit for a terminal ---------------------------------------------------------------------

#: Every C0 control but tab and newline, DEL, and every C1 control (0x9b is a one-byte CSI).
_CONTROL_CHARS = [c for c in range(0x20) if c not in (0x09, 0x0A)] + list(range(0x7F, 0xA0))
_CONTROL = re.compile("[" + "".join(f"\\x{c:02x}" for c in _CONTROL_CHARS) + "]")
_VISIBLE = {c: f"\\u{c:04x}" for c in _CONTROL_CHARS}


def printable(text: str) -> str:
    """``text`` with every control character that can move a cursor, rewrite the screen or
    ring a bell (ESC, CSI 0x9b, BEL, CR, backspace...) written out as ``\\u001b``: visible, and
    still valid inside a JSON string. Newlines and tabs stay."""
    if _CONTROL.search(text) is None:  # the usual case: nothing to copy
        return text
    return text.translate(_VISIBLE)
