"""The one tree of domain exceptions. Mapped to HTTP in app/api/errors.py, nowhere else."""

from __future__ import annotations

from collections.abc import Sequence

MAX_POSITIONS = 10  # positions named in one message; the rest are counted


class FableError(Exception):
    """Base of every error the service raises on purpose.

    Each class says what it is: `code` is the word a failed job records (JobError.code), `status` the HTTP
    status the one handler answers with (app/api/errors.py). A subclass inherits both unless it says otherwise;
    an UpstreamError sets its own per instance (the vendor's code; 503 when a retry may help, else 502).
    """

    code: str = "job_error"
    status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(FableError):
    """The record does not exist (or is not the caller's to see)."""

    code = "not_found"
    status = 404


class Conflict(FableError):
    """The record exists but is not in a state that allows this (wrong step, stale version)."""

    code = "conflict"
    status = 409


class InvalidInput(FableError):
    """The request is well-formed but asks for something that cannot be done."""

    code = "invalid_input"
    status = 422

    @classmethod
    def at_positions(cls, field: str, positions: Sequence[int], *, problem: str, hint: str) -> InvalidInput:
        """Values of a list this service does not know, named by their positions (`scene_ids[0] and
        scene_ids[3] are not ...`): a 422 never repeats what the caller sent, not even an id."""
        shown = [f"{field}[{n}]" for n in positions[:MAX_POSITIONS]]
        if len(positions) > MAX_POSITIONS:
            shown.append(f"{len(positions) - MAX_POSITIONS} more")
        where = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
        return cls(f"{where} {'is' if len(positions) == 1 else 'are'} {problem}; {hint}")


class ContentRefused(InvalidInput):
    """Content unfit for a children's comic: a kind message that never repeats what matched, and a safer
    topic to try. Answered as 422 with `detail` = {code, category, message, suggestion}."""

    code = "content_refused"  # also the `code` in its 422 detail

    def __init__(self, *, category: str, message: str, suggestion: str) -> None:
        super().__init__(message)
        self.category = category
        self.suggestion = suggestion

    @property
    def detail(self) -> dict[str, str]:
        return {"code": self.code, "category": self.category, "message": self.message, "suggestion": self.suggestion}


class Unauthorized(FableError):
    """No valid credential was presented (only raised when auth is configured)."""

    code = "unauthorized"
    status = 401


class Forbidden(FableError):
    """The request carries a proof that does not hold (a tampered or expired signed link)."""

    code = "forbidden"
    status = 403


class TooBusy(FableError):
    """The caller already has as much work running as allowed; try again after `retry_after` seconds."""

    code = "too_busy"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageError(FableError):
    """Persistence failed (disk, database); the message says what, never a path to a secret."""

    code = "storage_error"
    status = 503


class UpstreamError(FableError):
    """A vendor (OpenAI, fal.ai) failed; says which one and whether a retry may help."""

    def __init__(self, message: str, *, provider: str, retryable: bool, code: str = "upstream_error") -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable
        self.code = code
        self.status = 503 if retryable else 502


class ConfigurationError(RuntimeError):
    """The configuration asks for something this service cannot do; the message says what to change.

    Raised at start-up (storage, providers, the moderator), never from a request, so it is not a FableError
    and has no HTTP status: the process refuses to start and says why."""
