"""Exception types of pace-analysis.

Every error a user can cause with bad input derives from :class:`PaceError`; the
command line prints its message (never a traceback) and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass


class PaceError(Exception):
    """Base class for errors caused by input or configuration, not by a bug."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        The file the problem is in (as given by the user).
    row : int or None
        1-based line number in the file as a person sees it in an editor: the header is
        line 1, so the first data row is line 2. For Excel, the sheet row number.
        ``None`` when the problem concerns the whole file or a whole column.
    column : str or None
        The column concerned, or ``None``.
    value : str or None
        The offending value as written in the file, or ``None``.
    rule : str
        A short identifier of the rule broken (e.g. ``"date_parse"``).
    message : str
        A plain-language explanation.
    severity : str
        ``"error"`` (the data cannot be used) or ``"warning"`` (suspicious but possible).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str
    severity: str = "error"

    def format(self) -> str:
        """Return a one-line human-readable description."""
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        loc = ", ".join(where)
        val = f" value {self.value!r}:" if self.value is not None else ""
        return f"{self.severity.upper()} {loc}:{val} {self.message} [{self.rule}]"


class DataValidationError(PaceError):
    """Input data broke the data contract; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = summary or f"{len(errors)} error(s) in input data"
        lines = [head] + [p.format() for p in errors[:50]]
        if len(errors) > 50:
            lines.append(f"... and {len(errors) - 50} more")
        super().__init__("\n".join(lines))


class UnknownAuthorityError(PaceError):
    """An authority name is not one of the known councils (or not in the data)."""


class ReportError(PaceError):
    """A report or batch of reports could not be produced."""


class Terminated(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """Raised in the main thread when the process receives SIGTERM (exit status 143)."""

    def __init__(self, signum: int = 15):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum
