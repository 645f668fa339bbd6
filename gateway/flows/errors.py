"""Problems found in flow files, always named by file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a flow file: where it is and what is wrong."""

    file: str
    line: int
    message: str
    kind: str = "error"  # error (cannot load) or a check name (unreachable, sms_length...)

    def __str__(self) -> str:
        """Return ``file:line: [kind] message``, the format of compilers and linters."""
        return f"{self.file}:{self.line}: [{self.kind}] {self.message}"


class FlowError(ValueError):
    """A flow file cannot be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        """Keep ``problems`` (sorted by file and line) and build a readable message."""
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
