"""The roster as CSV files a coordinator keeps in a spreadsheet, read into an `Instance`.

A roster folder holds ``program.csv`` (``key,value`` settings, rules and weights),
``session_types.csv``, ``clinicians.csv``, ``rooms.csv``, ``clients.csv`` and, optionally,
``fixed_sessions.csv``. The columns are documented in ``docs/roster-csv.md``. Every value is
checked where it is read and every row through the pydantic model, so that a bad value is
reported as one line naming the file, the row (as a spreadsheet numbers it: the header is
row 1) and the column. `write_roster` writes an instance back as such a folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .domain import (
    INSTANCE_FORMAT,
    Availability,
    Client,
    Clinician,
    FixedSession,
    Instance,
    Room,
    Rules,
    SessionType,
    Weights,
)
from .errors import InputError
from .escaping import escape_csv_cell, unescape_csv_cell
from .io import as_instance, read_text, write_files_atomic
from .times import WEEK_DAYS, Day, format_hhmm, parse_hhmm

PROGRAM_FILE = "program.csv"

#: Program settings other than rules and weights.
SETTINGS = ("name", "week_of", "days", "slot_minutes", "open", "close")
#: Rules and weights that may be "none" (no bound).
NULLABLE_RULES = ("max_hours_per_client_week", "max_hours_per_client_day")
#: Words that mean "no value" where a column distinguishes it from a blank cell.
NONE_WORDS = ("none", "null", "-")


class CellError(ValueError):
    """A value that cannot be read (the caller adds the file, row and column)."""


# -- cell parsers ----------------------------------------------------------------------------


def _text(value: str) -> str:
    return value


def _whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CellError(f"{value!r} is not a whole number") from None


def _number(value: str) -> float | int:
    if re.fullmatch(r"\d+,\d+", value):
        value = value.replace(",", ".")  # a decimal comma, as European spreadsheets write 7,5
    try:
        number = float(value)
    except ValueError:
        raise CellError(f"{value!r} is not a number") from None
    return int(number) if number.is_integer() and "." not in value else number


def _nullable_number(value: str) -> float | int | None:
    return None if value.lower() in NONE_WORDS else _number(value)


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def _qualified(value: str) -> list[str]:
    return [] if value.lower() in NONE_WORDS else _list(value)


def _time(value: str) -> int:
    text = value.strip()
    if re.fullmatch(r"\d:\d\d", text):
        text = "0" + text
    try:
        return parse_hhmm(text)
    except ValueError as err:
        raise CellError(str(err)) from None


_WINDOW = re.compile(r"^\s*([^\s-]+)\s*-\s*([^\s-]+)\s*$")


def _window(value: str) -> list[str]:
    match = _WINDOW.match(value)
    if not match:
        raise CellError(f"window {value.strip()!r} is not in HH:MM-HH:MM form")
    start, end = _time(match.group(1)), _time(match.group(2))
    return [format_hhmm(start), format_hhmm(end)]


def _day_spec(value: str) -> list[str]:
    """``mon``, or a range ``mon-fri`` in week order."""
    parts = [p.strip().lower() for p in value.split("-")]
    for part in parts:
        if part not in WEEK_DAYS:
            raise CellError(f"{part!r} is not a day (use {', '.join(WEEK_DAYS)})")
    if len(parts) == 1:
        return parts
    if len(parts) != 2 or WEEK_DAYS.index(parts[0]) > WEEK_DAYS.index(parts[1]):
        raise CellError(f"{value!r} is not a day range such as mon-fri")
    first, last = WEEK_DAYS.index(parts[0]), WEEK_DAYS.index(parts[1])
    return list(WEEK_DAYS[first : last + 1])


def _one_day(value: str) -> str:
    day = value.strip().lower()
    if day not in WEEK_DAYS:
        raise CellError(f"{value!r} is not a day (use {', '.join(WEEK_DAYS)})")
    return day


def _clock(value: str) -> str:
    return format_hhmm(_time(value))


def _days(value: str) -> list[str]:
    days: list[str] = []
    for item in _list(value.replace(",", ";")):
        days += [d for d in _day_spec(item) if d not in days]
    return days


def _availability(value: str) -> dict[str, list[list[str]]]:
    """``mon-fri 09:00-13:00; wed 17:00-21:00`` (``none``: never available)."""
    if value.lower() in NONE_WORDS:
        return {}
    avail: dict[str, list[list[str]]] = {}
    for item in _list(value):
        # "mon - fri 09:00 - 13:00" as typed, and the en dash a spreadsheet's autocorrect
        # puts in: both read as "mon-fri 09:00-13:00" (a walk-through's "09:00 - 13:00"
        # was split at the space).
        item = re.sub(r"\s*[-\u2013]\s*", "-", item.strip())
        head, _, rest = item.partition(" ")
        if not rest.strip():
            raise CellError(f"{item!r} is not 'day HH:MM-HH:MM' (for example mon 09:00-13:00)")
        windows = [_window(w) for w in re.split(r"[,\s]+(?=\d)", rest.strip()) if w.strip()]
        for day in _day_spec(head):
            avail.setdefault(day, []).extend(windows)
    if not avail:
        # Only separators (";;"): read as "never available" it would silently take the
        # person off the week, and a blank cell means always (found by a fuzz run).
        raise CellError(f"{value!r} names no window; write 'none' for never available")
    return avail


def _mapping(value: str, convert: Callable[[str], Any], example: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in _list(value):
        key, sep, rest = item.partition("=")
        key, rest = key.strip(), rest.strip()
        if not key or (sep and not rest):
            raise CellError(f"{item!r} is not in the form {example}")
        if key in found:
            raise CellError(f"{key!r} is given twice")
        found[key] = convert(rest) if sep else None
    return found


def _requires(value: str) -> dict[str, int]:
    """``individual=1; relapse_prevention=2`` (a bare type id means 1)."""
    counts = _mapping(value, _whole, "type=count")
    return {k: 1 if v is None else v for k, v in counts.items()}


def _assigned(value: str) -> dict[str, str]:
    """``individual=cl1; med_management=md1``."""
    found = _mapping(value, _text, "type=clinician")
    for key, clin in found.items():
        if clin is None:
            raise CellError(f"{key!r} names no clinician (use {key}=<clinician id>)")
    return found


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise CellError(f"{value!r} is not a date in YYYY-MM-DD form") from None


# -- the files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a roster file: its parser, and whether it must be present."""

    parse: Callable[[str], Any]
    required: bool = False


@dataclass(frozen=True)
class Sheet:
    """A roster file: its columns, the instance list it fills and the model of one row."""

    file: str
    field: str
    model: type[BaseModel]
    columns: dict[str, Column]
    optional: bool = False


SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "session_types.csv",
        "session_types",
        SessionType,
        {
            "id": Column(_text, True),
            "name": Column(_text),
            "kind": Column(_text, True),
            "duration_minutes": Column(_whole, True),
            "min_size": Column(_whole),
            "max_size": Column(_whole),
            "disciplines": Column(_list, True),
            "room_kinds": Column(_list),
            "tracks": Column(_list),
        },
    ),
    Sheet(
        "clinicians.csv",
        "clinicians",
        Clinician,
        {
            "id": Column(_text, True),
            "name": Column(_text),
            "discipline": Column(_text, True),
            "availability": Column(_availability),
            "max_hours_per_day": Column(_number),
            "max_hours_per_week": Column(_number),
            "qualified_for": Column(_qualified),
        },
    ),
    Sheet(
        "rooms.csv",
        "rooms",
        Room,
        {
            "id": Column(_text, True),
            "name": Column(_text),
            "kind": Column(_text, True),
            "capacity": Column(_whole, True),
            "availability": Column(_availability),
        },
    ),
    Sheet(
        "clients.csv",
        "clients",
        Client,
        {
            "id": Column(_text, True),
            "name": Column(_text),
            "track": Column(_text),
            "availability": Column(_availability),
            "requires": Column(_requires),
            "assigned_clinicians": Column(_assigned),
            "preferred_days": Column(_days),
            "preferred_window": Column(_window),
        },
    ),
    Sheet(
        "fixed_sessions.csv",
        "fixed_sessions",
        FixedSession,
        {
            "type": Column(_text, True),
            "day": Column(_one_day, True),
            "start": Column(_clock, True),
            "clinician": Column(_text, True),
            "room": Column(_text),
            "clients": Column(_list),
        },
        optional=True,
    ),
)

_PROGRAM_PARSERS: dict[str, Callable[[str], Any]] = {
    "name": _text,
    "week_of": _date,
    "days": _days,
    "slot_minutes": _whole,
    "open": _clock,
    "close": _clock,
    **{
        rule: (_nullable_number if rule in NULLABLE_RULES else _number)
        for rule in Rules.model_fields
    },
    **dict.fromkeys(Weights.model_fields, _whole),
}


@dataclass
class _Table:
    """The rows of one file, each with the row number a spreadsheet shows."""

    path: Path
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    #: Rows with more cells than the header row (blank ones): an unquoted comma, likely.
    long_rows: set[int] = field(default_factory=set)

    @property
    def name(self) -> str:
        return str(self.path)


def _bytes_or_none(path: Path) -> bytes | None:
    """The file's bytes (None when it cannot be read: `read_text` then says why)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _read_table(path: Path) -> _Table:
    raw = _bytes_or_none(path)
    if raw is not None and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" is UTF-16 with a byte-order mark, tabs between columns:
        # read as Windows-1252 its first column was "\xff\xfei\x00d\x00" (walk-through).
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                "not valid UTF-16 text (save the sheet as CSV UTF-8)", file=str(path)
            ) from None
    else:
        try:
            text = read_text(path, encoding="utf-8-sig", hint=" (save the sheet as CSV UTF-8)")
        except InputError as err:
            # Excel on Windows saves "CSV (Comma delimited)" as Windows-1252 (José, café):
            # read that too; anything else keeps the UTF-8 message.
            try:
                text = path.read_bytes().decode("cp1252")
            except (OSError, UnicodeDecodeError):
                raise err from None
    first_line = text.split("\n", 1)[0]
    # European spreadsheets separate columns by ";" (the comma is their decimal point),
    # Excel's "Unicode Text" by tabs.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    if "\t" in first_line and not {",", ";"} & set(first_line):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        while True:
            starts_on = reader.line_num + 1  # the line the next record begins on
            record = next(reader, None)
            if record is None:
                break
            records.append(record)
            multiline = any("\n" in cell or "\r" in cell for cell in record)
            if multiline and _quote_left_open(text, starts_on):
                # Found by a fuzz run: a quote left open swallowed every row after it
                # into one cell, and the import went on without those clients. (A quoted
                # value holding a line break, as Excel writes with Alt-Enter, is fine.)
                raise InputError(
                    f"row {len(records)}: a quote opened in this row is never closed, so "
                    'every row after it would be read into one value (a value such as "Doe, '
                    'Jane" needs both of its quotes)',
                    file=str(path),
                )
    except csv.Error as err:
        raise InputError(f"malformed CSV: {err}", file=str(path)) from None
    if not records:
        raise InputError("row 1: the file is empty, a header row is expected", file=str(path))
    header = [cell.strip().lower() for cell in records[0]]
    width = len(header)  # a row as wide as the header row, empty columns included, is fine
    while header and not header[-1]:
        header.pop()  # trailing empty columns, which spreadsheets add past the data
    rows = []
    long_rows: set[int] = set()
    for number, record in enumerate(records[1:], start=2):
        # The "'" `write_roster` puts in front of a cell that starts like a formula goes.
        cells = [unescape_csv_cell(cell.strip()) for cell in record]
        if not any(cells) or cells[0].startswith("#"):
            continue  # blank rows and comment rows
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise InputError(
                f"row {number}: {len(cells)} cells but only {len(header)} columns "
                "(quote a value that holds a comma)",
                file=str(path),
            )
        if len(cells) > width:
            long_rows.add(number)
        rows.append((number, dict(zip(header, cells, strict=False))))
    return _Table(path, header, rows, long_rows)


def _quote_left_open(text: str, line: int) -> bool:
    """Whether the quotes from ``line`` (1-based) to the end of ``text`` do not pair up."""
    tail = "".join(text.splitlines(keepends=True)[line - 1 :])
    return tail.count('"') % 2 == 1


def _long_row_hint(table: _Table, number: int) -> str:
    """Why a value may sit in the wrong column: a comma in an earlier cell, unquoted."""
    if number not in table.long_rows:
        return ""
    return (
        f" (row {number} has more cells than the header: a value holding a comma, such as "
        '"Doe, Jane", must be quoted)'
    )


def _check_header(table: _Table, expected: dict[str, Column]) -> None:
    for index, column in enumerate(table.header, start=1):
        if column not in expected:
            raise InputError(
                f"row 1, column {column or index}: unknown column (expected {', '.join(expected)})",
                file=table.name,
            )
    if len(set(table.header)) != len(table.header):
        twice = next(c for c in table.header if table.header.count(c) > 1)
        raise InputError(f"row 1, column {twice}: the column is given twice", file=table.name)
    for column, spec in expected.items():
        if spec.required and column not in table.header:
            raise InputError(f"row 1: missing column {column!r}", file=table.name)


def _where(number: int, column: str) -> str:
    return f"row {number}, column {column}"


def _pydantic_message(err: ValidationError) -> tuple[str, str]:
    """The first error as (column, message)."""
    first = err.errors(include_url=False)[0]
    loc = [str(p) for p in first["loc"] if not (isinstance(p, str) and "[" in p)]
    message = str(first["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if first["type"] == "missing":
        message = "a value is required"
    elif first["type"] not in ("value_error", "assertion_error") and isinstance(
        first.get("input"), (str, int, float)
    ):
        message = f"{message} (got {first['input']!r})"
    column = loc[0] if loc else ""
    detail = ".".join(loc[1:])
    return column, f"{detail}: {message}" if detail else message


def _read_sheet(folder: Path, sheet: Sheet) -> tuple[list[dict[str, Any]], _Table | None]:
    path = folder / sheet.file
    if sheet.optional and not path.exists():
        return [], None
    table = _read_table(path)
    _check_header(table, sheet.columns)
    items = []
    for number, row in table.rows:
        item: dict[str, Any] = {}
        for column, spec in sheet.columns.items():
            value = row.get(column, "")
            if not value:
                if spec.required:
                    raise InputError(
                        f"{_where(number, column)}: a value is required", file=table.name
                    )
                continue
            try:
                item[column] = spec.parse(value)
            except CellError as err:
                raise InputError(
                    f"{_where(number, column)}: {err}{_long_row_hint(table, number)}",
                    file=table.name,
                ) from None
        try:
            sheet.model.model_validate(item)
        except ValidationError as err:
            column, message = _pydantic_message(err)
            raise InputError(
                f"{_where(number, column)}: {message}{_long_row_hint(table, number)}",
                file=table.name,
            ) from None
        items.append(item)
    return items, table


def _read_program(folder: Path) -> tuple[dict[str, Any], dict[str, int], _Table]:
    table = _read_table(folder / PROGRAM_FILE)
    _check_header(table, {"key": Column(_text, True), "value": Column(_text, True)})
    settings: dict[str, Any] = {"rules": {}, "weights": {}}
    rows: dict[str, int] = {}
    for number, row in table.rows:
        key = row.get("key", "").strip().lower()
        value = row.get("value", "")
        parse = _PROGRAM_PARSERS.get(key)
        if parse is None:
            raise InputError(
                f"{_where(number, 'key')}: unknown setting {key!r} (expected "
                f"{', '.join(SETTINGS)}, a rule or a weight)",
                file=table.name,
            )
        if key in rows:
            raise InputError(
                f"{_where(number, 'key')}: {key!r} is already set in row {rows[key]}",
                file=table.name,
            )
        rows[key] = number
        if not value:
            continue  # a blank value keeps the default
        try:
            parsed = parse(value)
        except CellError as err:
            raise InputError(f"{_where(number, 'value')}: {key}: {err}", file=table.name) from None
        if key in Rules.model_fields:
            settings["rules"][key] = parsed
        elif key in Weights.model_fields:
            settings["weights"][key] = parsed
        else:
            settings[key] = parsed
    for model, part in ((Rules, "rules"), (Weights, "weights")):
        try:
            model.model_validate(settings[part])
        except ValidationError as err:
            column, message = _pydantic_message(err)
            raise InputError(
                f"{_where(rows[column], 'value')}: {column}: {message}", file=table.name
            ) from None
    for key in ("days", "slot_minutes"):
        if key not in settings:
            raise InputError(f"the setting {key!r} is required (a row '{key},...')",
                             file=table.name)  # fmt: skip
    return settings, rows, table


#: ``clients[3] (c4).assigned_clinicians.individual: message`` -> field, index, column, message.
_INSTANCE_PATH = re.compile(
    r"^(?P<field>\w+)(?:\[(?P<index>\d+)\](?: \([^)]*\))?)?(?:\.(?P<column>\w+))?[^:]*: "
    r"(?P<msg>.*)$"
)


def read_roster(folder: str | os.PathLike[str]) -> Instance:
    """Read a roster folder into a checked `Instance`; a bad value raises `InputError`."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("not a folder of roster CSV files", file=str(root))
    settings, program_rows, program = _read_program(root)
    data: dict[str, Any] = {"format": INSTANCE_FORMAT, **settings}
    data.setdefault("name", root.resolve().name)
    tables: dict[str, tuple[Sheet, _Table | None, list[int]]] = {}
    for sheet in SHEETS:
        items, table = _read_sheet(root, sheet)
        data[sheet.field] = items
        tables[sheet.field] = (sheet, table, [n for n, _ in table.rows] if table else [])
    try:
        return Instance.model_validate(data)
    except ValidationError as err:
        column, message = _pydantic_message(err)
        match = _INSTANCE_PATH.match(message) if not column else None
        if match and match["field"] in tables and match["index"] is not None:
            sheet, table, numbers = tables[match["field"]]
            where = _where(numbers[int(match["index"])], match["column"] or "id")
            raise InputError(
                f"{where}: {match['msg']}", file=str(table.path if table else root)
            ) from None
        key = match["field"] if match else column
        if key in program_rows:
            detail = match["msg"] if match else message
            raise InputError(
                f"{_where(program_rows[key], 'value')}: {key}: {detail}", file=program.name
            ) from None
        # "close: 21:00 is not after open 22:00" with close left at its default: the row
        # to fix is the one of the setting the message names.
        named = next((k for k in program_rows if re.search(rf"\b{k}\b", message)), None)
        if named is not None:
            raise InputError(
                f"{_where(program_rows[named], 'value')}: {message}", file=program.name
            ) from None
        raise InputError(message, file=str(root)) from None


# -- writing ---------------------------------------------------------------------------------


def _format_windows(windows: list[tuple[int, int]]) -> str:
    return ", ".join(f"{format_hhmm(s)}-{format_hhmm(e)}" for s, e in windows)


def format_availability(avail: Availability | None) -> str:
    """An availability in the roster's form, runs of days alike written as ``mon-fri``.

    A day listed with no window reads back as a missing day, which means the same thing.
    """
    if avail is None:
        return ""
    items = []
    run: list[Day] = []
    for day in (*WEEK_DAYS, None):
        windows = avail.get(day) if day is not None else None
        if run and windows and windows == avail[run[0]]:
            run.append(day)  # type: ignore[arg-type]
            continue
        if run:
            spec = run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}"
            items.append(f"{spec} {_format_windows(list(avail[run[0]]))}")
        run = [day] if day is not None and windows else []
    return "; ".join(items) or "none"


def _number_text(value: float | None) -> str:
    """A number as a spreadsheet cell, every digit kept (``:g`` rounds to six)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def roster_tables(instance: Instance) -> dict[str, list[list[str]]]:
    """The instance as roster files: file name -> rows (header first)."""

    def joined(items: list[str] | None) -> str:
        return "; ".join(items or [])

    def pairs(mapping: dict[str, Any]) -> str:
        return "; ".join(f"{k}={v}" for k, v in mapping.items())

    program = [
        ["key", "value"],
        ["name", instance.name],
        ["week_of", instance.week_of.isoformat() if instance.week_of else ""],
        ["days", joined(list(instance.days))],
        ["slot_minutes", str(instance.slot_minutes)],
        ["open", format_hhmm(instance.open)],
        ["close", format_hhmm(instance.close)],
    ]
    for rule, value in instance.rules.model_dump().items():
        program.append([rule, "none" if value is None else _number_text(value)])
    for weight, value in instance.weights.model_dump().items():
        program.append([weight, str(value)])
    tables = {PROGRAM_FILE: program}
    tables["session_types.csv"] = [list(SHEETS[0].columns)] + [
        [t.id, t.name, t.kind, str(t.duration_minutes), _number_text(t.min_size),
         _number_text(t.max_size), joined(t.disciplines), joined(t.room_kinds), joined(t.tracks)]
        for t in instance.session_types
    ]  # fmt: skip
    tables["clinicians.csv"] = [list(SHEETS[1].columns)] + [
        [c.id, c.name, c.discipline, format_availability(c.availability),
         _number_text(c.max_hours_per_day), _number_text(c.max_hours_per_week),
         "" if c.qualified_for is None else (joined(c.qualified_for) or "none")]
        for c in instance.clinicians
    ]  # fmt: skip
    tables["rooms.csv"] = [list(SHEETS[2].columns)] + [
        [r.id, r.name, r.kind, str(r.capacity), format_availability(r.availability)]
        for r in instance.rooms
    ]
    tables["clients.csv"] = [list(SHEETS[3].columns)] + [
        [c.id, c.name, c.track or "", format_availability(c.availability), pairs(c.requires),
         pairs(c.assigned_clinicians), joined(list(c.preferred_days)),
         "" if c.preferred_window is None else _format_windows([c.preferred_window])]
        for c in instance.clients
    ]  # fmt: skip
    # Always written, a header alone when nothing is booked: an export into the folder of
    # an earlier one must not leave that one's bookings to be imported again.
    tables["fixed_sessions.csv"] = [list(SHEETS[4].columns)] + [
        [f.type, f.day, format_hhmm(f.start), f.clinician, f.room or "", joined(f.clients)]
        for f in instance.fixed_sessions
    ]
    return tables


def _unwritable(instance: Instance) -> str | None:
    """Why some id or label of ``instance`` would not come back from a roster, or None.

    A roster row whose first cell starts with ``#`` is a comment, ``;`` separates list
    items, ``=`` a type from its count, every cell is trimmed and ``none`` alone in
    ``qualified_for`` means nothing: an id that meets one of these would be read back as
    something else, so `write_roster` refuses it up front.
    """
    # (field path, value, where it is written: an id column, a list item or a lone cell)
    values: list[tuple[str, str, str]] = []
    for name in ("session_types", "clinicians", "rooms", "clients"):
        for index, item in enumerate(getattr(instance, name)):
            kind = "type id" if name == "session_types" else "id"
            values.append((f"{name}[{index}] ({item.id}).id", item.id, kind))
    for index, t in enumerate(instance.session_types):
        for column in ("disciplines", "room_kinds", "tracks"):
            values += [(f"session_types[{index}] ({t.id}).{column}", v, "item")
                       for v in getattr(t, column)]  # fmt: skip
    for index, c in enumerate(instance.clinicians):
        values.append((f"clinicians[{index}] ({c.id}).discipline", c.discipline, "cell"))
        only = c.qualified_for or []
        if len(only) == 1 and only[0].lower() in NONE_WORDS:
            return (
                f"clinicians[{index}] ({c.id}).qualified_for: {only[0]!r} alone reads as "
                "none (qualified for nothing) in a roster cell"
            )
    for index, r in enumerate(instance.rooms):
        values.append((f"rooms[{index}] ({r.id}).kind", r.kind, "cell"))
    for index, cl in enumerate(instance.clients):
        if cl.track is not None:
            values.append((f"clients[{index}] ({cl.id}).track", cl.track, "cell"))
    for path, value, where in values:
        if value != value.strip():
            return f"{path}: {value!r} has spaces at its ends, which a roster cell drops"
        if where != "cell" and ";" in value:
            return f"{path}: {value!r} holds ';', which separates the items of a roster cell"
        if where == "type id" and "=" in value:
            return f"{path}: {value!r} holds '=', which separates a type from its count"
        if where in ("id", "type id") and value.startswith("#"):
            return f"{path}: {value!r} starts with '#', which makes a roster row a comment"
    return None


def write_roster(instance: Instance, folder: str | os.PathLike[str]) -> list[Path]:
    """Write an instance as a roster folder; return the paths.

    Every roster file is written, ``fixed_sessions.csv`` too (its header alone when no
    session is booked), so that writing into the folder of an earlier roster replaces all
    of it. All files are built, and every target checked, before the first is replaced
    (`write_files_atomic`): an error leaves the folder as it was.

    A cell that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return: only names, ids and other text can, every number written is at least 0) gets
    a ``'`` in front, so that a spreadsheet shows it as text; `read_roster` takes it off.

    Raises:
        InputError: an id or label that a roster cannot hold (see `_unwritable`); nothing
            is written.

    """
    instance = as_instance(instance)  # a path, a dict, or an instance edited in Python
    problem = _unwritable(instance)
    if problem:
        raise InputError(f"{problem}; rename it to export a roster")
    files = {}
    for name, rows in roster_tables(instance).items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([escape_csv_cell(cell) for cell in row] for row in rows)
        files[name] = buffer.getvalue().encode("utf-8")
    return write_files_atomic(folder, files)
