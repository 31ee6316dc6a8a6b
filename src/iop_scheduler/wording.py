"""Small pieces of the wording every report shares."""

from __future__ import annotations


def plural(count: int, word: str, width: int = 0) -> str:
    """``1 client``, ``3 clients``: the count and the word, in the plural unless one.

    ``width`` right-aligns the count, for columns.
    """
    return f"{count:>{width}} {word}" if count == 1 else f"{count:>{width}} {word}s"
