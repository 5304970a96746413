"""Keeps secrets out of logs, run records and reports: masks DSN passwords and secret settings."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?=@)")
_KV_PASSWORD = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*=\s*)(?P<pw>'[^']*'|\S+)",
                          re.IGNORECASE)
_SECRET_KEY = re.compile(r"password|passwd|secret|token|credential|dsn|api[_-]?key", re.IGNORECASE)


def mask_text(text: str) -> str:
    """`postgresql://u:pw@h/db` -> `postgresql://u:***@h/db`; `password=pw` -> `password=***`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _KV_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


_LIBPQ_KEY = re.compile(r"\b(?:host|hostaddr|dbname|user|port)\s*=", re.IGNORECASE)
_DEFAULT = re.compile(r"\$\{[^}]*:-([^}]+)\}")


def passwords_in(text: str) -> list[str]:
    """Every password in `text`: in a URL (`scheme://user:pw@`) or a key=value DSN."""
    found = [m.group("pw") for m in _URL_PASSWORD.finditer(text)]
    if _LIBPQ_KEY.search(text):  # `password = x` alone is as likely SQL as a DSN
        found += [m.group("pw") for m in _KV_PASSWORD.finditer(text)]
    return found


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
        if _SECRET_KEY.search(key) and "://" not in value and "=" not in value:
            return MASK if value else value
        return mask_text(value)
    return value


def mask_mapping(data: dict[str, Any]) -> dict[str, Any]:
    return {k: mask_value(k, v) for k, v in data.items()}
