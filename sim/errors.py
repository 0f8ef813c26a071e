"""Errors a user can fix: they name the file, the key path and what is allowed."""

from __future__ import annotations

import contextlib
import reprlib
from typing import Iterator


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


class OutputError(Exception):
    """Results could not be written (a full or read-only disk, a vanished folder).

    The command line prints it and exits with code 1; no folder that looks complete is left.
    """


class RunFailed(Exception):
    """A run that could not finish for a reason outside the input (no Dask workers, a lost
    scheduler). The command line prints it and exits with code 1."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: everything unwinds (workers stopped, temporary folders
    removed) and the command line exits with 128 + the signal number."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_held = {"depth": 0, "signum": None}


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """A stop (`stop(signum)`, what the command line's SIGINT and SIGTERM handler calls) that comes
    inside this block waits until the block ends, then stops the command as usual: for steps that
    must finish together once begun (a finished results folder put in place and recorded)."""
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        if not _held["depth"] and _held["signum"] is not None:
            signum, _held["signum"] = _held["signum"], None
            raise Interrupted(signum)


def stop(signum: int) -> None:
    """Stop the command (raise Interrupted), or as soon as a `stops_held` block ends."""
    if _held["depth"]:
        _held["signum"] = signum
        return
    raise Interrupted(signum)


_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 6
_SHORT.maxlong = 40


def short_repr(value: object, limit: int = 60) -> str:
    """A repr of any value in at most `limit` characters, built without ever formatting the whole
    value (a YAML alias bomb or a huge string costs no more than a short one)."""
    try:
        text = _SHORT.repr(value)
    except ValueError:  # an integer too long to print
        text = f"<{type(value).__name__} too long to print>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
