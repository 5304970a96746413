"""Text shown on a terminal: whatever a message quotes from data or the file system is shown with
its control characters escaped, so a row or a file name can never drive the terminal."""

from __future__ import annotations


def printable(text: object) -> str:
    """`text` safe to show on a terminal: every character that is not printable (C0 and C1
    controls such as ESC, DEL, line breaks inside data, bidi overrides and other format
    characters, lone surrogates) as `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN`; other Unicode is kept.
    Use it for anything a message quotes from data or from the file system."""
    return "".join(c if c.isprintable() else _escape(c) for c in str(text))


def _escape(c: str) -> str:
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def printable_lines(text: object) -> str:
    """`printable` for each line of a message: its own line breaks kept, nothing else."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def human_size(n: float) -> str:
    """1536 -> '1.5 KB': bytes as a person reads them (B, KB, MB, GB; 1024 each)."""
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
