"""Keeps secrets out of logs, run records and reports: masks DSN passwords, secret settings and
the pipeline variables the loader found to be secrets (their names and their literal values)."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?=@)")
_KV_PASSWORD = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*=\s*)(?P<pw>'[^']*'|\S+)",
                          re.IGNORECASE)
# a word of a setting's or variable's name: `pg_pass`, `PGPASSWORD`, `db_pwd`, `api_key`,
# `access_token`; never `bypass_cache`, `compass_dir` or `max_tokens`
_SECRET_KEY = re.compile(r"(?<![a-z])(?:pg|db)?(?:pass(?:word|wd)?|pwd)(?![a-z])|secret"
                         r"|token(?!s)|credential|(?<![a-z])dsn(?![a-z])|api[_-]?key",
                         re.IGNORECASE)
MIN_SECRET_CHARS = 4  # shorter values of secret variables are masked, not searched for in text


def mask_text(text: str) -> str:
    """`postgresql://u:pw@h/db` -> `postgresql://u:***@h/db`; `password=pw` -> `password=***`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _KV_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


_LIBPQ_KEY = re.compile(r"\b(?:host|hostaddr|dbname|user|port)\s*=", re.IGNORECASE)
_DEFAULT = re.compile(r"\$\{[^}]*:-([^}]+)\}")


def is_secret_key(key: str) -> bool:
    """A setting or field named like a secret: password, pg_pass, api_key, token, dsn, ..."""
    return bool(_SECRET_KEY.search(key))


def password_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every password in `text`: in a URL (`scheme://user:pw@`) or a key=value
    DSN."""
    found = [m.span("pw") for m in _URL_PASSWORD.finditer(text)]
    if _LIBPQ_KEY.search(text):  # `password = x` alone is as likely SQL as a DSN
        found += [m.span("pw") for m in _KV_PASSWORD.finditer(text)]
    return found


def passwords_in(text: str) -> list[str]:
    """Every password in `text`: in a URL (`scheme://user:pw@`) or a key=value DSN."""
    return [text[start:end] for start, end in password_spans(text)]


def literal_passwords(text: str) -> list[str]:
    """The passwords written out in `text` (a DSN, say). One read from `${NAME}` is not, but
    the default of `${NAME:-default}` is."""
    return [pw for pw in passwords_in(text) if "${" not in pw or _DEFAULT.search(pw)]


def scrub(text: str, secret_source: str) -> str:
    """`mask_text(text)`, and every password of `secret_source` (a DSN) removed from `text`
    however it is quoted there: drivers quote parts of a DSN they could not parse."""
    from urllib.parse import unquote

    out = mask_text(text)
    for pw in passwords_in(secret_source):
        for form in {pw, unquote(pw), pw.strip("'")}:
            if len(form) >= 2:
                out = out.replace(form, MASK)
    return out


def mask_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(key, v) for v in value]
    if isinstance(value, str):
        masked = mask_text(value)
        if is_secret_key(key) and value and masked == value:  # no DSN password found in it:
            return MASK  # the whole value is the secret (a base64 key may well end in `=`)
        return masked
    return value


def mask_mapping(data: dict[str, Any]) -> dict[str, Any]:
    return {k: mask_value(k, v) for k, v in data.items()}


def secret_values(variables: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """The text of each secret variable's value long enough to search for, longest first."""
    texts = {str(value) for n in names if n in variables
             for value in [variables[n]] if _searchable(value)}
    return sorted(texts, key=len, reverse=True)


def _searchable(value: Any) -> bool:
    """A secret value worth searching for in text: a number of a few digits (a port, say) would
    garble every count that holds its digits."""
    if isinstance(value, str):
        return len(value) >= MIN_SECRET_CHARS
    if isinstance(value, int | float) and not isinstance(value, bool):
        return len(str(value)) >= 8
    return False


def hide(text: str, secrets: Iterable[str]) -> str:
    """`mask_text(text)` with every literal in `secrets` (from `secret_values`) replaced too."""
    out = mask_text(text)
    for secret in secrets:
        out = out.replace(secret, MASK)
    return out


def mask_var(name: str, value: Any, secret_names: Iterable[str]) -> Any:
    """A variable's value as it may be shown: masked whole when the loader found it flows into
    a DSN or a password field (whatever its name), else masked like any setting."""
    if name in set(secret_names):
        return MASK
    return mask_value(name, value)


def mask_vars(variables: Mapping[str, Any], secret_names: Iterable[str]) -> dict[str, Any]:
    """Every variable through `mask_var`, and the literal value of a secret one removed from the
    others (`b: "x-${password}"` holds the password too)."""
    names = set(secret_names)
    secrets = secret_values(variables, names)
    return {k: hide_all(mask_var(k, v, names), secrets) for k, v in variables.items()}


# -- output that hides secret values: what the CLI prints once a pipeline is loaded ----------
def hide_all(value: Any, secrets: list[str]) -> Any:
    """`value` with every text in it (in lists, tuples and dicts too) through `masking.hide`."""
    if isinstance(value, str):
        return hide(value, secrets)
    if isinstance(value, list | tuple):
        return type(value)(hide_all(v, secrets) for v in value)
    if isinstance(value, dict):
        return {k: hide_all(v, secrets) for k, v in value.items()}
    return value


class HidingConsole:
    """A `Console` that hides the pipeline's secret values in every message, before the
    terminal wraps a line (which could split a value)."""

    def __init__(self, inner: Any, secrets: list[str]):
        self.inner, self.secrets = inner, secrets

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        return lambda *args, **kw: method(*hide_all(args, self.secrets),
                                          **hide_all(kw, self.secrets))


class HidingStream:
    """sys.stdout / sys.stderr with the secret values hidden in every write: the last line of
    defence for what libraries print themselves (pyspark logs a failed query's text, say)."""

    def __init__(self, inner: Any, secrets: list[str]):
        self.inner, self.secrets = inner, secrets

    def write(self, text: str) -> int:
        self.inner.write(hide(text, self.secrets))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, flush, encoding, ...
        return getattr(self.inner, name)


@contextlib.contextmanager
def hiding_output(secrets: list[str]) -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = HidingStream(saved[0], secrets), HidingStream(saved[1], secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
