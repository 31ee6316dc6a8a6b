"""Reading and writing the project's JSON files, with one-line errors and atomic writes."""

from __future__ import annotations

import difflib
import json
import os
import tempfile
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .domain import Instance, Timetable
from .errors import InputError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: What the API accepts as a clinic week or a timetable: the object, its JSON data as a
#: dict, or the path of its file. Each is checked again on entry (see `as_instance`).
InstanceLike = Instance | dict[str, Any] | str | os.PathLike[str]
TimetableLike = Timetable | dict[str, Any] | str | os.PathLike[str]


def load_instance(path: str | os.PathLike[str]) -> Instance:
    """Load and check a clinic week (``iop-instance/1``); bad input raises `InputError`."""
    instance = load_model(path, Instance)
    if not instance.name:
        instance.name = Path(path).stem
    return instance


def load_timetable(path: str | os.PathLike[str]) -> Timetable:
    """Load a timetable (``iop-schedule/1``); bad input raises `InputError`.

    A file must name its ``format`` and, when it holds a week, list its ``sessions``
    (docs/spec-notes.md), though a `Timetable` built in Python has defaults for both (a
    fuzz run found files without them accepted).
    """
    data = read_json(path)
    if isinstance(data, dict):
        required = ["format"]
        if data.get("status") in ("optimal", "feasible"):
            required.append("sessions")  # a file holding no week may leave them out
        for field in required:
            if field not in data:
                raise InputError(f"{field}: required field is missing", file=str(path))
    return parse_model(data, Timetable, file=str(path))


def as_instance(value: InstanceLike) -> Instance:
    """A clinic week checked now: a path is loaded, a dict parsed, an `Instance` re-checked.

    An `Instance` changed in Python after it was loaded (a field assigned, a list edited,
    ``model_copy(update=...)``) is checked again from its data, so every rule of the file
    format holds and its lookups (``type_by_id``...) follow the change. Bad data raises a
    one-line `InputError`, as from a file.
    """
    return _as_model(value, Instance, load_instance, "an Instance", "an instance file")


def as_timetable(value: TimetableLike) -> Timetable:
    """A timetable checked now, as `as_instance` does for a clinic week."""
    return _as_model(value, Timetable, load_timetable, "a Timetable", "a timetable file")


def _as_model(
    value: Any, model: type[ModelT], load: Callable[[Any], ModelT], what: str, file: str
) -> ModelT:
    if isinstance(value, str | os.PathLike):
        return load(value)
    if isinstance(value, model):
        # warnings=False: a list edited in Python may hold dicts (``clients.append({...})``),
        # which pydantic's dump warns about once per item; they are checked just below.
        return parse_model(value.model_dump(mode="json", warnings=False), model)
    if isinstance(value, dict):
        return parse_model(value, model)
    kind = type(value).__name__
    # A `Result` handed where its timetable is wanted: say where the timetable is.
    hint = " (a Result's timetable is result.timetable)" if hasattr(value, "timetable") else ""
    raise TypeError(f"expected {what}, a dict or the path of {file}, not {kind}{hint}")


def save_timetable(timetable: Timetable | dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write a timetable file (``iop-schedule/1``) atomically: all of it or nothing."""
    if not isinstance(timetable, Timetable):
        timetable = as_timetable(timetable)  # a dict, or a Result (refused, saying why)
    write_json_atomic(path, dump_timetable(timetable))


def read_text(path: str | os.PathLike[str], *, encoding: str = "utf-8", hint: str = "") -> str:
    """A text file's contents; a missing, unreadable or non-UTF-8 file raises `InputError`.

    ``hint`` follows the non-UTF-8 message (how to save the file right).
    """
    name = str(path)
    try:
        return Path(path).read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError("file not found", file=name) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", file=name) from None
    except UnicodeDecodeError as err:
        raise InputError(
            f"not UTF-8 text: byte 0x{err.object[err.start]:02x} at offset {err.start}{hint}",
            file=name,
        ) from None


def read_json(path: str | os.PathLike[str]) -> Any:
    """Parse a JSON file, turning a missing file or malformed JSON into `InputError`."""
    name = str(path)
    text = read_text(path)
    try:
        return json.loads(text, object_pairs_hook=_no_key_twice)
    except _KeyTwice as err:
        raise InputError(
            f"malformed JSON: the key {err.key!r} is given twice in one object", file=name
        ) from None
    except json.JSONDecodeError as err:
        raise InputError(
            f"line {err.lineno} column {err.colno}: malformed JSON: {err.msg}", file=name
        ) from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply", file=name) from None
    except ValueError as err:  # e.g. an integer of thousands of digits
        if "digits" in str(err):  # Python's advice to raise its limit is not the user's
            raise InputError("malformed JSON: a number of thousands of digits", file=name) from None
        raise InputError(f"malformed JSON: {err}", file=name) from None


class _KeyTwice(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_key_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json keeps the last one silently).

    Found by a fuzz run: ``{"format": "zzz", "format": "iop-instance/1"}`` was accepted.
    """
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _KeyTwice(key)
        result[key] = value
    return result


def load_model(path: str | os.PathLike[str], model: type[ModelT]) -> ModelT:
    """Parse a JSON file into a pydantic model, reporting the first problem in one line."""
    data = read_json(path)
    return parse_model(data, model, file=str(path))


def parse_model(data: Any, model: type[ModelT], *, file: str | None = None) -> ModelT:
    """Validate already-parsed JSON data into a model, raising a one-line `InputError`."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object at the top level", file=file)
    expected = model.model_fields.get("format")
    if expected is not None and "format" in data:
        wanted = expected.default if isinstance(expected.default, str) else None
        literal = getattr(expected.annotation, "__args__", (wanted,))
        if data["format"] not in literal:
            raise InputError(
                f"format: expected {' or '.join(map(repr, literal))}, got {data['format']!r}",
                file=file,
            )
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InputError(describe_validation_error(err, data, model), file=file) from None


def describe_validation_error(
    err: ValidationError, data: Any, model: type[BaseModel] | None = None
) -> str:
    """Turn the most telling pydantic error into ``field.path (id): message``.

    With ``model`` (the one validated), an unknown field's message lists the fields its
    place allows: a coordinator's note added to a session read only "unknown field".
    """
    errors = err.errors(include_url=False)
    # A union (``X | None``) reports one error per branch; the none branch says least.
    telling = [e for e in errors if e["type"] not in ("none_required",)] or errors
    first = telling[0]
    if first["type"] == "missing":
        # A misspelt field is also a missing one: "clinican: did you mean clinician?"
        # says more than "clinician: required field is missing".
        parent = tuple(first["loc"])[:-1]
        first = next(
            (e for e in telling
             if e["type"] == "extra_forbidden" and tuple(e["loc"])[:-1] == parent),
            first,
        )  # fmt: skip
    message = str(first["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        message = "unknown field" + _expected_fields(model, loc)
    elif first["type"] == "missing":
        message = "required field is missing"
    elif first["type"] == "union_tag_invalid":
        # Pydantic's "Input tag 'x' found using 'kind' does not match any of the expected
        # tags: ..." names its own machinery; say it as the file's field.
        context = first.get("ctx", {})
        loc += (context.get("discriminator", "").strip("'"),)
        message = f"unknown value {context.get('tag')!r} (expected {context.get('expected_tags')})"
    elif first["type"] not in ("value_error", "assertion_error") and _is_scalar(first["input"]):
        message = f"{message} (got {first['input']!r})"
    if message.startswith("Input should be "):
        message = "must be " + message[len("Input should be ") :]
    path = format_location(loc, data)
    return f"{path}: {message}" if path else message


def _expected_fields(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    """`` (did you mean start?)`` or `` (expected one of: ...)`` for an unknown field."""
    allowed = _fields_at(model, loc[:-1]) if model is not None and loc else None
    if not allowed:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.75)
    if close:
        return f" (did you mean {close[0]}?)"
    return f" (expected one of: {', '.join(allowed)})"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """The field names the model allows at ``loc`` (None: not one model there)."""
    here: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # a list's item: the same model
        found = _model_in(here)
        if found is None or part not in found.model_fields:
            return None  # a dict key, or a union's tag: no one model to name
        here = found.model_fields[part].annotation
    found = _model_in(here)
    if found is None:
        return None
    return [field.alias or name for name, field in found.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The one model inside ``X``, ``list[X]``, ``X | None`` (None: none, or several)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = {m for arg in typing.get_args(annotation) if (m := _model_in(arg)) is not None}
    return models.pop() if len(models) == 1 else None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def format_location(loc: tuple[Any, ...], data: Any) -> str:
    """Render a pydantic location as ``clients[3] (c4).availability.mon[0]``."""
    text = ""
    node = data
    for part in loc:
        if isinstance(part, str) and any(ch in part for ch in "[(,"):
            continue  # a union-branch tag such as "dict[str,...]", not a field name
        if isinstance(part, str) and part[:1].isupper() and isinstance(node, dict) and (
            part not in node
        ):
            continue  # a union-branch tag naming a model, such as "AddClients"
        if isinstance(part, str) and isinstance(node, dict) and part not in node and (
            part == node.get("kind")
        ):
            continue  # a discriminated union's tag (the change's kind), not a field name
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                text += f" ({node['id']})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def ensure_writable(path: str | os.PathLike[str]) -> None:
    """Raise `InputError` now if ``path`` cannot be written later (before a long solve).

    Tries it as writing would, missing folders made, and then leaves no file and no new
    folder behind: a run that stops on bad input after this check (a fuzz run's rejected
    change files) left empty output folders.
    """
    made = _missing_folders(Path(path).parent)
    try:
        write_atomic(path, lambda handle: None, replace=False)
    finally:
        _remove_empty(made)


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its parents that do not exist yet, deepest first (what writing makes)."""
    return [p for p in (folder, *folder.parents) if not p.exists()]


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed or trial write made, deepest first, while empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break  # not empty (or gone): leave it and the ones above it


def write_json_atomic(path: str | os.PathLike[str], payload: Any) -> None:
    """Write JSON so that the file is either the whole new content or untouched."""
    write_text_atomic(path, json_text(payload))


def json_text(payload: Any) -> str:
    """JSON as the tool writes every file: indented, UTF-8 as it is, a final newline."""
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text through a temporary file in the same folder, then rename it into place."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes through a temporary file in the same folder, then rename it into place."""
    write_atomic(path, _writes(data))


def _writes(data: bytes) -> Callable[[Any], object]:
    """A writer for `write_atomic` and `_stage` that writes ``data``."""
    return lambda handle: handle.write(data)


def write_atomic(
    path: str | os.PathLike[str], writer: Callable[[Any], object], *, replace: bool = True
) -> None:
    """Call ``writer`` on a temporary binary file, then rename it to ``path``.

    A path that cannot be written (a file where a folder should be, no permission) raises
    `InputError` naming it; missing folders are created.
    """
    target = Path(path)
    try:
        tmp_name = _stage(target, writer)
    except OSError as err:
        raise _cannot_write(err, path) from None
    try:
        if not replace:  # only checking that the folder takes a file
            if target.is_dir():
                raise IsADirectoryError(21, "a folder stands where the file should be")
            Path(tmp_name).unlink()
            return
        os.replace(tmp_name, target)
    except BaseException as err:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(err, OSError):  # e.g. the target is a folder
            raise InputError(f"cannot write: {err.strerror}", file=str(path)) from None
        raise


def _stage(target: Path, writer: Callable[[Any], object]) -> str:
    """A temporary file beside ``target`` (its folders made), written by ``writer``.

    Returns its name; it has a new file's usual permissions. Raises `OSError` (with no
    temporary file left) when the folder cannot be made or does not take the file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
        os.chmod(tmp_name, _new_file_mode())  # mkstemp's files are 0600
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return tmp_name


def _cannot_write(err: OSError, path: str | os.PathLike[str]) -> InputError:
    """The one-line error for a file that could not be staged at ``path``."""
    if isinstance(err, (FileExistsError, NotADirectoryError)):
        message = "cannot write: a file stands where a folder should be"
        return InputError(message, file=str(path))
    return InputError(f"cannot write: {err.strerror}", file=str(path))


def _read_umask() -> int:
    umask = os.umask(0)  # the only way to read the umask is to set it
    os.umask(umask)
    return umask


#: Read once, at import: setting the process-wide umask later, even for an instant, could
#: give a file another thread creates meanwhile the wrong permissions.
_UMASK = _read_umask()


def _new_file_mode() -> int:
    """The permissions of a new file under the umask: mkstemp's files are 0600 otherwise."""
    return 0o666 & ~_UMASK


def write_files_atomic(folder: str | os.PathLike[str], files: Mapping[str, bytes]) -> list[Path]:
    """Write several files into ``folder`` as one output; return their paths, in order.

    The folder output of the exports, charts and roster. Each file's bytes are first written
    to a temporary file beside its target: this checks every target (no folder stands in its
    way, the folder exists or can be made, takes files and has room for them) before any
    file is replaced. Only when all of them are written are they renamed into place, in
    order. An error up to that point removes the temporary files, and the folders this call
    made, and raises `InputError` naming the target: the folder is left as it was.

    POSIX cannot rename several files at once. Should a rename itself fail (something put a
    folder in the way in the meantime), the files renamed before it hold the new content and
    the others the old, the error says how many were replaced, and no file is ever partly
    written. Files in ``folder`` that are not in ``files`` are left alone.
    """
    root = Path(folder)
    targets = [root / name for name in files]
    made: list[Path] = []
    staged: list[str] = []
    current = root
    try:
        made = _missing_folders(root)
        for target, data in zip(targets, files.values(), strict=True):
            current = target
            if target.is_dir():
                raise IsADirectoryError(21, "a folder stands where the file should be")
            staged.append(_stage(target, _writes(data)))
    except BaseException as err:
        for name in staged:
            Path(name).unlink(missing_ok=True)
        _remove_empty(made)
        if isinstance(err, OSError):
            raise _cannot_write(err, current) from None
        raise
    done = 0
    try:
        for tmp_name, target in zip(staged, targets, strict=True):
            current = target
            os.replace(tmp_name, target)
            done += 1
    except BaseException as err:
        for name in staged[done:]:
            Path(name).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise InputError(
                f"cannot write: {err.strerror} ({done} of {len(targets)} files were replaced "
                "before it)",
                file=str(current),
            ) from None
        raise
    return targets


def dump_timetable(timetable: Timetable) -> dict[str, Any]:
    """Return the JSON form of a timetable, section 6 fields first."""
    return timetable.model_dump(mode="json")
