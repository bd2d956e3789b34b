"""bridge.redact: the one redactor of URLs, conninfo strings and messages.

Which names count as secret is the module's rule: a name whose words include ``key``, ``auth``,
``sig``, ``pass``...; one holding ``token``, ``secret``, ``passw``, ``credential``...; or one ending
in ``key``/``sig``. So ``monkey`` is masked (it ends in "key", as ``apikey`` does: the old http
redactor masked it too) while ``keyboard`` and ``keyword`` are not (the old one masked any name
containing "key"; no secret is called that).
"""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.redact import MASK, is_secret_name, redact_text, redact_url, split_userinfo

SECRET = "s3cr3t-V4lue"
BASE = "https://h.test/events/perf-101"


# -- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "tok%65n",  # percent-encoded "token": what slipped past the quick path once
        "%74oken",
        "%54%4F%4B%45%4E",
        "token",
        "TOKEN",
        "Token",
        "access_token",
        "accessToken",
        "refresh-token",
        "oauth_token",
        "Password",
        "PASSWORD",
        "passwd",
        "pwd",
        "pw",
        "pass",
        "db_password",
        "secret",
        "clientSecret",
        "secretKey",
        "secret_key",
        "key",
        "api_key",
        "api-key",
        "apiKey",
        "APIKey",
        "apikey",
        "APIKEY",
        "X-Api-Key",
        "x-api-key",
        "privatekey",
        "subscription-key",
        "sig",
        "signature",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "credentials",
        "creds",
        "auth",
        "authorization",
        "Authorization",
        "authcode",
        "auth_code",
        "sessionKey",
        "session_id",
        "jwt",
        "hmac",
        "+token+",  # "+" and "%20" around a name are blanks: the server strips or keeps them
        "%20token%20",
        "api%5Fkey",
        "token[]",
        "monkey",  # ends in "key": taken for one (see the module docstring)
    ],
)
def test_a_secret_parameter_is_masked_however_its_name_is_spelled(name: str) -> None:
    url = f"{BASE}?performanceId=1&{name}={SECRET}&page=2"
    assert redact_url(url) == f"{BASE}?performanceId=1&{name}={MASK}&page=2"
    parsed = httpx.URL(url)
    assert SECRET not in redact_url(parsed)


@pytest.mark.parametrize(
    "name",
    [
        "performanceId",
        "page",
        "label",
        "limit",
        "start_after_id",
        "holdCodeIds",
        "modeOfSaleId",
        "keyboard",
        "keyword",
        "keys",
        "design",
        "signal",
        "assign",
        "author",
        "authority",
        "passenger",
        "bypass",
    ],
)
def test_a_plain_parameter_is_left_as_it_is(name: str) -> None:
    url = f"{BASE}?{name}=1&{name}=B+2"
    assert redact_url(url) == url
    assert redact_url(httpx.URL(url)) == str(httpx.URL(url))
    assert not is_secret_name(name)


def test_names_are_judged_decoded_and_by_words() -> None:
    assert is_secret_name("api key") and is_secret_name("Api.Key") and is_secret_name("keyId")
    assert is_secret_name("tokenize")  # holds "token": better masked than guessed
    assert not is_secret_name("tok en") and not is_secret_name("")
    assert not is_secret_name("\u212aey")  # a Kelvin sign is no "K": ASCII case only


# -- query, fragment, separators ------------------------------------------------------------------


def test_repeated_secret_params_are_each_masked() -> None:
    url = f"{BASE}?token=a1&label=A-1&token=b2&TOKEN=c3"
    assert redact_url(url) == f"{BASE}?token={MASK}&label=A-1&token={MASK}&TOKEN={MASK}"


def test_a_param_without_value_is_kept() -> None:
    assert redact_url(f"{BASE}?token&page=1") == f"{BASE}?token&page=1"
    assert redact_url(f"{BASE}?debug&token=x1&page=1") == f"{BASE}?debug&token={MASK}&page=1"
    assert redact_url(f"{BASE}?token=&page=1") == f"{BASE}?token={MASK}&page=1"


def test_semicolons_separate_params_too() -> None:
    url = f"{BASE}?label=A;token={SECRET};page=2&secret={SECRET}"
    assert redact_url(url) == f"{BASE}?label=A;token={MASK};page=2&secret={MASK}"


def test_a_raw_separator_inside_a_secret_does_not_show_its_tail() -> None:
    """``token=ab;cd``: "cd" has no "=", so it is more of the value, dropped with it."""
    assert redact_url(f"{BASE}?token=ab;cd&page=1") == f"{BASE}?token={MASK}&page=1"
    assert redact_url(f"{BASE}?token=ab&cd;ef&page=1") == f"{BASE}?token={MASK}&page=1"


def test_a_value_holding_equals_signs_is_masked_whole() -> None:
    assert redact_url(f"{BASE}?sig=a=b==&x=1") == f"{BASE}?sig={MASK}&x=1"


def test_the_fragment_is_masked_like_a_query() -> None:
    url = f"{BASE}?page=1#access_token={SECRET}&state=s1&expires_in=3600"
    assert redact_url(url) == f"{BASE}?page=1#access_token={MASK}&state=s1&expires_in=3600"
    assert redact_url(f"{BASE}#section-2") == f"{BASE}#section-2"
    assert SECRET not in redact_url(httpx.URL(url))


def test_a_relative_url_is_masked_too() -> None:
    assert redact_url(f"/events/e1?secretKey={SECRET}&p=2") == f"/events/e1?secretKey={MASK}&p=2"
    assert redact_url("/events/e1") == "/events/e1"


# -- user info ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@h.test/p", "https://***@h.test/p"),
        ("https://user@h.test/p", "https://***@h.test/p"),
        ("https://u:p%40ss%3Aw%2F@h.test/p?x=1", "https://***@h.test/p?x=1"),  # encoded @ : /
        ("https://u%40corp:pw@h.test/", "https://***@h.test/"),
        ("https://u:pa/ss@w@rd@h.test/T/", "https://***@h.test/T/"),  # raw "/" and "@"
        ("https://u:a?b#c@h.test/p", "https://***@h.test/p"),  # raw "?" and "#"
        ("http://u:pw@[::1]:8080/x", "http://***@[::1]:8080/x"),
        ("http://[::1]:8080/x?e=a@b", "http://[::1]:8080/x?e=a@b"),  # IPv6, no user
        ("http://[2001:db8::1]/p", "http://[2001:db8::1]/p"),
        ("https://h.test/users/a@b.org", "https://h.test/users/a@b.org"),  # "@" in the path
        ("https://h.test/p?email=a@b.org", "https://h.test/p?email=a@b.org"),
        ("postgresql://bridge:pw@db.example.org/sb", "postgresql://***@db.example.org/sb"),
        ("postgresql://bridge@db/sb", "postgresql://***@db/sb"),
        (
            "postgresql://db/x?user=u&password=pw&ssl=1",
            f"postgresql://db/x?user=u&password={MASK}&ssl=1",
        ),
    ],
)
def test_user_info_is_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_password_beside_a_port_is_masked_to_the_last_at_sign() -> None:
    """``u:p@h/p?e=a@b`` cannot tell a password holding "/?@" from a query holding "@": the
    cautious reading masks to the last "@"."""
    assert redact_url("https://u:p@h.test/p?e=a@b") == "https://***@b"
    # a parsed URL knows its own user info: cut exactly
    parsed = httpx.URL("https://u:p%40q@h.test/a@b?e=a@b&token=t1")
    assert redact_url(parsed) == f"https://***@h.test/a@b?e=a@b&token={MASK}"


def test_split_userinfo() -> None:
    assert split_userinfo("https://u:p@h/x") == ("https://", "u:p", "h/x")
    assert split_userinfo("https://h/x") == ("https://", None, "h/x")
    assert split_userinfo("postgresql://seatbridge@db/x") == ("postgresql://", "seatbridge", "db/x")
    assert split_userinfo("host=db user=u") == ("", None, "host=db user=u")


# -- conninfo -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conninfo", "shown"),
    [
        ("host=db password=pw1 dbname=x", f"host=db password={MASK} dbname=x"),
        ("host=db password='a b' dbname=x", f"host=db password={MASK} dbname=x"),
        (r"host=db password='it\'s \\ ok' dbname=x", f"host=db password={MASK} dbname=x"),
        (r"host=db password=a\ b dbname=x", f"host=db password={MASK} dbname=x"),
        ("host=db password = 'pw' user=u", f"host=db password = {MASK} user=u"),
        ("host=db PASSWORD=pw", f"host=db PASSWORD={MASK}"),
        ("host=db sslpassword=pw sslmode=require", f"host=db sslpassword={MASK} sslmode=require"),
        ("host=db password='unclosed dbname=x", f"host=db password={MASK}"),
        (
            "host=db port=5432 dbname=seatbridge user=u",
            "host=db port=5432 dbname=seatbridge user=u",
        ),
    ],
)
def test_conninfo_passwords_are_masked(conninfo: str, shown: str) -> None:
    assert redact_url(conninfo) == shown


# -- free text ----------------------------------------------------------------------------------


def test_a_url_inside_an_error_sentence() -> None:
    text = (
        f"GET https://u:pw@h.test/p?tok%65n={SECRET}&page=2 failed: reset; "
        f"retrying '{BASE}?secret={SECRET}' (state store postgresql://b:{SECRET}@db/x)"
    )
    assert redact_text(text) == (
        f"GET https://***@h.test/p?tok%65n={MASK}&page=2 failed: reset; "
        f"retrying '{BASE}?secret={MASK}' (state store postgresql://***@db/x)"
    )


def test_free_text_masks_plain_secret_pairs_and_auth_headers_only() -> None:
    assert redact_text(f"connect host=db password='{SECRET} x' dbname=d") == (
        f"connect host=db password={MASK} dbname=d"
    )
    assert redact_text(f"bad api_key={SECRET} token: ok") == f"bad api_key={MASK} token: ok"
    # an unquoted value runs to the next blank or quote: a comma after it goes with it
    assert redact_text(f"(secret={SECRET}, then)") == f"(secret={MASK} then)"
    headers = f"{{'Authorization': 'Bearer {SECRET}'}}"
    assert redact_text(headers) == "{'Authorization': 'Bearer ***'}"
    assert redact_text(f"Authorization: Basic {SECRET}") == "Authorization: Basic ***"
    plain = "unit_key=perf-1 key=A-1 design=x: see https://h.test/events/e1?label=A-1 (no secret)"
    assert redact_text(plain) == plain


# -- the quick path -----------------------------------------------------------------------------


def test_a_parsed_url_with_nothing_to_hide_comes_back_as_it_is() -> None:
    labels = [f"Orchestra-R{i // 20}-S{i % 20}" for i in range(250)]
    url = httpx.URL(f"{BASE}/objects", params={"label": labels})
    assert redact_url(url) == str(url)
    encoded = httpx.URL(f"{BASE}?label=A-1&label=B+2&tok%65n=abc")
    assert redact_url(encoded) == f"{BASE}?label=A-1&label=B+2&tok%65n={MASK}"


_NAMES = st.text(
    st.sampled_from("aAbBcCdDeEfFgGhHiIkKnNoOpPrRsStTuUwWyY_-.+%0123456789"), max_size=12
)
_VALUES = st.text(max_size=12)


@given(st.lists(st.tuples(_NAMES | st.sampled_from(["token", "api-key", "sig"]), _VALUES)))
def test_the_quick_path_hides_what_the_full_parse_hides(params: list[tuple[str, str]]) -> None:
    """A parsed URL's quick look finds every name the full parse masks, whatever its spelling."""
    url = httpx.URL(f"{BASE}?" + "&".join(f"{n}={quote(v, safe='')}" for n, v in params))
    assert redact_url(url) == redact_url(str(url))


@given(st.text(), st.text())
def test_the_quick_path_agrees_for_any_name(name: str, value: str) -> None:
    url = httpx.URL(BASE, params={"label": "A-1", name: value})
    assert redact_url(url) == redact_url(str(url))
    if is_secret_name(name.strip()):
        assert redact_url(url).endswith(f"={MASK}")


# -- a secret never shows ---------------------------------------------------------------------

_SECRET_NAMES = ["token", "TOKEN", "tok%65n", "%74oken", "Password", "api-key", "apiKey", "sig"]
#: Around every generated secret: neither it nor its encodings occur in the URLs it is put in,
#: so any of them in the output is the secret shown.
_MARK = "\u00a7"


def _placed(where: str, name: str, secret: str) -> str:
    if where == "query":
        return f"{BASE}?performanceId=1&{name}={quote(secret, safe='')}&page=2"
    if where == "query+":
        return f"{BASE}?{name}={quote_plus(secret)};label=A-1"
    if where == "fragment":
        return f"{BASE}?page=1#{name}={quote(secret, safe='')}&state=1"
    if where == "userinfo":
        return f"https://user:{quote(secret, safe='')}@h.test/p?page=1"
    escaped = secret.replace("\\", "\\\\").replace("'", "\\'")
    return f"host=db password='{escaped}' dbname=seatbridge"


@given(
    text=st.text(),
    name=st.sampled_from(_SECRET_NAMES),
    where=st.sampled_from(["query", "query+", "fragment", "userinfo", "conninfo"]),
)
def test_a_secret_value_never_shows(text: str, name: str, where: str) -> None:
    """Any value (``%``, ``&``, ``=``, quotes, unicode...) in a secret place: the output is the
    same as for any other value, and holds neither the value nor its encodings."""
    secret = f"{_MARK}{text}{_MARK}"
    url = _placed(where, name, secret)
    shown = redact_url(url)
    assert shown == redact_url(_placed(where, name, "x"))
    for form in (secret, quote(secret, safe=""), quote(secret), quote_plus(secret), text):
        assert form not in shown or form in redact_url(_placed(where, name, "x"))
    assert redact_text(f"GET {url} failed") == f"GET {shown} failed"
    if where != "conninfo":
        assert redact_url(httpx.URL(url)) == redact_url(httpx.URL(_placed(where, name, "x")))


@given(st.text())
def test_a_raw_password_in_user_info_never_shows(text: str) -> None:
    """An operator's URL may hold its password unencoded: "/", "?", "#", "@", ":" and all."""
    secret = f"{_MARK}{text}{_MARK}"
    shown = redact_url(f"https://user:{secret}@h.test/p?page=1")
    assert shown == "https://***@h.test/p?page=1"
    assert secret not in shown
