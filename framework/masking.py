"""Keeps secrets out of logs, run records and reports: masks DSN passwords and secret settings."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]+:)(?P<pw>[^@\s]+)(?=@)")
_KV_PASSWORD = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*=\s*)(?P<pw>'[^']*'|\S+)",
                          re.IGNORECASE)
_SECRET_KEY = re.compile(r"password|passwd|secret|token|credential|dsn|api[_-]?key", re.IGNORECASE)


def mask_text(text: str) -> str:
    """`postgresql://u:pw@h/db` -> `postgresql://u:***@h/db`; `password=pw` -> `password=***`."""
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
    return _KV_PASSWORD.sub(lambda m: m.group("head") + MASK, text)


def literal_passwords(text: str) -> list[str]:
    """The passwords written out in `text` (a DSN, say); one read from `${...}` is not one."""
    found = [m.group("pw") for m in _URL_PASSWORD.finditer(text)]
    found += [m.group("pw") for m in _KV_PASSWORD.finditer(text)]
    return [pw for pw in found if "${" not in pw]


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
