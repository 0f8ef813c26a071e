"""Errors a user can fix: they name the file, the key path and what is allowed."""

from __future__ import annotations


class ScenarioError(Exception):
    """Bad input: a scenario file, a sweep file or a command-line argument.

    The command line turns it into a message and exit code 2, never a traceback.
    """

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None):
        self.file = file
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.path) if part)
        return f"{where}: {self.message}" if where else self.message


class ScenarioErrors(ScenarioError):
    """Several problems found in one file; all are reported at once."""

    def __init__(self, errors: list[ScenarioError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class PathValueError(ValueError):
    """A cross-field check that failed at a known key path inside a scenario."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(message)
