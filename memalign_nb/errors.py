"""Exceptions and warnings raised by memalign-nb.

Every error the library raises on purpose derives from :class:`MemAlignError`, so callers
can catch one class. Subclasses carry the structured fields (which file, which line, which
dimension) that the message is built from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class MemAlignError(Exception):
    """Root of every error memalign-nb raises on purpose."""


class MemAlignWarning(UserWarning):
    """Root of every warning memalign-nb emits."""


class ProblemError(MemAlignError):
    """An error about one thing (a file, an item, a setting), shown as ``where: problem``.

    The base of the errors below that name what is wrong and where; front-ends derive
    their own errors from it.

    Attributes
    ----------
    where : str
        What the problem is about.
    problem : str
        What is wrong with it, in words.
    """

    def __init__(self, where: object, problem: str) -> None:
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")


class FileProblemError(ProblemError):
    """An error about one file or folder, shown as ``path: problem``.

    Attributes
    ----------
    path : str
        The file or folder at fault (the same as ``where``).
    problem : str
        What is wrong with it, in words.
    """

    @property
    def path(self) -> str:
        """The file or folder at fault."""
        return self.where


class NotebookError(FileProblemError):
    """A notebook file could not be read as a notebook.

    Attributes
    ----------
    path : str
        The file that failed.
    problem : str
        What is wrong with it, in words.
    """


class NotebookLimitError(NotebookError):
    """A notebook is larger than a :class:`~memalign_nb.notebooks.NotebookLimits` bound.

    Attributes
    ----------
    path : str
        The notebook.
    limit : str
        The bound exceeded: ``max_bytes``, ``max_cells``, ``max_lines`` or ``max_depth``.
    value : int
        What the notebook has.
    maximum : int
        The bound.
    """

    def __init__(self, path: str, limit: str, value: int, maximum: int, what: str) -> None:
        self.limit = limit
        self.value = value
        self.maximum = maximum
        option = "--" + limit.replace("_", "-")
        super().__init__(
            path,
            f"too large to judge: {value:,} {what}, over the limit of {maximum:,} (raise it "
            f"with {option} or NotebookLimits({limit}=...))",
        )


class UnknownNameError(MemAlignError, KeyError):
    """A name (dimension, judge engine, embedder, store) is not registered.

    Attributes
    ----------
    kind : str
        What was looked up, such as ``"dimension"`` or ``"judge engine"``.
    name : str
        The name that was asked for.
    known : tuple of str
        The names that would have worked.
    suggestion : str or None
        The known name closest to ``name`` (a likely typo of it), if any.
    """

    def __init__(self, kind: str, name: str, known: tuple[str, ...] | list[str]) -> None:
        import difflib

        self.kind = kind
        self.name = name
        self.known = tuple(known)
        close = difflib.get_close_matches(str(name), self.known, n=1, cutoff=0.75)
        self.suggestion = close[0] if close else None
        hint = f" (did you mean {self.suggestion}?)" if self.suggestion else ""
        super().__init__(
            f"unknown {kind} {name!r}{hint}; known: {', '.join(self.known) or 'none'}"
        )

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class InvalidScoreError(MemAlignError, ValueError):
    """A score is outside 0-3 or not an integer.

    Attributes
    ----------
    value : object
        The offending value.
    where : str
        Where it came from (file and line, or the judge that produced it).
    """

    def __init__(self, value: object, where: str = "") -> None:
        self.value = value
        self.where = where
        prefix = f"{where}: " if where else ""
        text = " (it is text: write the number without quotes)" if _numeric_text(value) else ""
        super().__init__(f"{prefix}score {value!r} is not an integer from 0 to 3{text}")


def _numeric_text(value: object) -> bool:
    try:
        return isinstance(value, str) and float(value) == float(value)
    except ValueError:
        return False


class MissingDependencyError(MemAlignError, ImportError):
    """An optional dependency is not installed.

    Attributes
    ----------
    package : str
        The importable module that is missing.
    extra : str
        The ``memalign-nb[extra]`` that installs it.
    """

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{package} is required for this feature: pip install 'memalign-nb[{extra}]'"
        )


class RubricError(FileProblemError):
    """A rubric file is missing, unreadable or does not follow the rubric schema.

    Attributes
    ----------
    path : str
        The rubric file (or folder) that failed.
    problem : str
        What is wrong with it, in words.
    """


class InvalidGradeError(ProblemError, ValueError):
    """A grade has an empty or mistyped field (case id, rater, rationale, timestamp).

    Unknown dimensions raise :class:`UnknownNameError` and bad scores
    :class:`InvalidScoreError`; this covers the other fields of a grade.

    Attributes
    ----------
    field : str
        The offending field of :class:`memalign_nb.feedback.model.Grade` (the same as
        ``where``).
    problem : str
        What is wrong with it, in words.
    """

    @property
    def field(self) -> str:
        """The offending field."""
        return self.where


@dataclass(frozen=True)
class Problem:
    """One problem found in a dataset or grades file.

    Attributes
    ----------
    file : str
        The file (or folder) with the problem.
    line : int or None
        1-based line number within ``file``; None when the problem is the whole file.
    message : str
        What is wrong, in words.
    """

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class DatasetError(MemAlignError):
    """A dataset folder or grades file has problems; every one is listed.

    Attributes
    ----------
    problems : tuple of Problem
        Every problem found, in file and line order; the message has one per line.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''}:", *map(str, self.problems)]
        super().__init__("\n".join(lines))


class ModelConfigError(MemAlignError):
    """A chat model for an LLM judge cannot be built (provider, credentials, options).

    Attributes
    ----------
    model : str
        The model string or object description that failed (``openai:gpt-4o-mini``).
    problem : str
        What is wrong, in words (often the provider's own message).
    """

    def __init__(self, model: str, problem: str) -> None:
        self.model = model
        self.problem = problem
        super().__init__(f"chat model {model!r}: {problem}")


class MalformedReplyError(MemAlignError, ValueError):
    """A model's reply is not a valid judgment (no JSON, missing fields, score not 0-3).

    Attributes
    ----------
    reply : str
        The reply text, shortened to 300 characters.
    problem : str
        What is wrong with it, in words; an LLM judge re-asks with this text.
    """

    def __init__(self, reply: str, problem: str) -> None:
        self.reply = reply if len(reply) <= 300 else reply[:297] + "..."
        self.problem = problem
        super().__init__(f"malformed judge reply ({problem}): {self.reply!r}")


class FeedbackStoreError(FileProblemError):
    """The feedback store's database cannot be opened, read or written.

    Attributes
    ----------
    path : str
        The store's database file.
    problem : str
        What went wrong, in words (not a database, locked too long, disk full, ...).
    """


class MemoryDataError(ProblemError, ValueError):
    """Data entering or read back from a memory (episodic store, guideline file) is invalid.

    Attributes
    ----------
    where : str
        What holds the bad data: an example (``data_imputation::case-7``), a guidelines
        file, or an episodic store directory.
    problem : str
        What is wrong with it, in words.
    """


class IntegrationError(ProblemError):
    """An MLflow or Spark object cannot be used as asked (a trace, a model URI, a column).

    Attributes
    ----------
    target : str
        What failed: a model URI (``runs:/<id>/judge``), a trace id, a DataFrame column
        (the same as ``where``).
    problem : str
        What is wrong with it, in words.
    """

    @property
    def target(self) -> str:
        """What failed."""
        return self.where


class JudgeDirError(FileProblemError):
    """A saved aligned-judge directory cannot be written, or read back as a judge.

    Raised by :meth:`memalign_nb.align.AlignedJudge.save` and
    :func:`memalign_nb.align.load_judge` for a missing or corrupted file, a directory
    written by an incompatible format version, or a base judge that cannot be rebuilt.

    Attributes
    ----------
    path : str
        The file or directory at fault (``judge/config.json``, ``judge/chroma``).
    problem : str
        What is wrong with it, in words.
    """


class ParameterError(MemAlignError, ValueError):
    """A notebook or job parameter has the wrong type or value, or is not a parameter.

    Attributes
    ----------
    name : str
        The parameter.
    value : object
        The value it was given.
    problem : str
        What is wrong, in words (``expected an integer, got 'four'``).
    """

    def __init__(self, name: str, value: object, problem: str) -> None:
        self.name = name
        self.value = value
        self.problem = problem
        super().__init__(f"parameter {name!r}: {problem}")


class GradePageError(MemAlignError):
    """``memalign-nb grade`` could not serve the grading page (Voila).

    Attributes
    ----------
    problem : str
        What went wrong, in words.
    log : str
        The end of Voila's log, when Voila started and then failed.
    """

    def __init__(self, problem: str, log: str = "") -> None:
        self.problem = problem
        self.log = log
        super().__init__(problem + (f"\nVoila's log ends with:\n{log}" if log else ""))
