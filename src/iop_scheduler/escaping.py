"""User text made safe for the files people open: spreadsheet cells and Markdown.

Names and ids come from instance and roster files, so they may hold anything. A CSV cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (``=HYPERLINK(...)`` is a live link), so `escape_csv_cell` puts a
``'`` in front of it (OWASP's advice for CSV injection) and `unescape_csv_cell` takes it
off again when the tool reads its own file back. In Markdown a ``|`` ends a table cell and
``<script>`` is HTML, so `escape_markdown` escapes them.
"""

from __future__ import annotations

import re
from typing import TypeVar

#: What a spreadsheet takes for the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Put in front of a cell that starts like a formula: the spreadsheet shows it as text.
CSV_ESCAPE = "'"

_Value = TypeVar("_Value")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read ``text``, typed into a cell, as a formula."""
    return text.startswith(FORMULA_STARTS)


def escape_csv_cell(value: _Value) -> _Value:
    """A CSV cell of user text that no spreadsheet runs as a formula.

    Text that starts like a formula gets a ``'`` in front; so does text that already
    starts with ``'``, so that `unescape_csv_cell` gives back exactly the original.
    Anything but a string (the tool's own numbers) is returned as it is.
    """
    if isinstance(value, str) and (looks_like_formula(value) or value.startswith(CSV_ESCAPE)):
        return CSV_ESCAPE + value  # type: ignore[return-value]
    return value


def unescape_csv_cell(text: str) -> str:
    """The inverse of `escape_csv_cell`: one ``'`` off a cell that `escape_csv_cell` made.

    Only a ``'`` followed by a formula start or another ``'`` is taken off; any other
    leading ``'`` (one a person typed, ``'Room A``) is kept.
    """
    rest = text[len(CSV_ESCAPE) :]
    if text.startswith(CSV_ESCAPE) and (looks_like_formula(rest) or rest.startswith(CSV_ESCAPE)):
        return rest
    return text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~\[\]|])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def escape_markdown(text: str) -> str:
    """User text for a Markdown table cell (or heading, or list item), shown as it is.

    ``&``, ``<`` and ``>`` become HTML entities (no tag of a name reaches the page), a
    line break becomes a space (a table row is one line), and ``|``, ``\\``, ``*``, ``_``,
    ``~``, backtick, ``[`` and ``]`` get a backslash (no cell split, emphasis,
    strikethrough, code or link syntax). A bare address (``https://...``) may still be
    shown as a link by renderers that link addresses on their own, such as GitHub's.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _LINE_BREAK.sub(" ", text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
