"""Domain errors. The HTTP layer maps each to a status code in one place (`http/errors.py`)."""

from __future__ import annotations


class BookstoreError(Exception):
    """Base of every error the API reports to its caller."""

    code = "ERROR"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(BookstoreError):
    code = "INVALID_INPUT"


class PayloadTooLarge(InvalidInput):
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(InvalidInput):
    code = "UNSUPPORTED_MEDIA_TYPE"


class Unauthorized(BookstoreError):
    code = "UNAUTHORIZED"


class NotFound(BookstoreError):
    code = "NOT_FOUND"


class Conflict(BookstoreError):
    """The request is well formed but the current state forbids it."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.code = code


class TransactionCancelled(Conflict):
    """The data store refused a transaction as a whole: a step's condition failed or another
    transaction overlapped it. `reasons` holds one code per step, in order (`None` for a step
    that was not the cause, `ConditionalCheckFailed`, `TransactionConflict`, ...)."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("CHECKOUT_CONFLICT", "the transaction was cancelled; retry")
        self.reasons = reasons

    def condition_failed(self, step: int) -> bool:
        return step < len(self.reasons) and self.reasons[step] == "ConditionalCheckFailed"


class Unavailable(BookstoreError):
    """A dependency this region needs cannot be reached, or the region is fenced."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
