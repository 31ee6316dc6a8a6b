"""Errors a user can cause, and the CLI's exit codes."""

from __future__ import annotations

#: Exit codes, as in sqlfluff: 0 ok, 1 findings (broken rules, infeasible week), 2 bad input.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT_ERROR = 2
#: Ctrl-C before the command had anything to write (the shell's 128 + SIGINT).
EXIT_STOPPED = 130


class InputError(Exception):
    """Bad input: one line that names the file, the field and the offending value or id."""

    def __init__(self, message: str, *, file: str | None = None) -> None:
        self.file = file
        self.detail = message
        super().__init__(f"{file}: {message}" if file else message)

    def naming(self, file: str | None) -> InputError:
        """The same error as one of ``file``, unless it names a file already (or ``file`` is None).

        For input checked where the file is not known (an API call on an object read from
        ``file``): the command that read it re-raises the error with the file's name.
        """
        if self.file is None and file is not None:
            return InputError(self.detail, file=file)
        return self
