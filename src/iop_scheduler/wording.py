"""Small pieces of the wording every report shares."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """``1 client``, ``3 clients``: the count and the word, in the plural unless one."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
