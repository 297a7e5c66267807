"""How a pydantic validation error reads in a message: `flight_number: String should match pattern ...;
reported_at: Field required` — every bad field with its reason. One format for the workflow's
InvalidDisruptionEvent, the intake's dead-letter attributes, the approval API's 400s and the operator CLI."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol


class HasErrors(Protocol):
    """pydantic's ValidationError, and Powertools' RequestValidationError."""

    def errors(self) -> Sequence[Any]: ...


def field_path(error: Mapping[str, Any], whole: str = "(event)", skip: Collection[object] = ()) -> str:
    """The dotted path of the field an error is about (`affected_crew_ids.0`); `whole` when it is about the
    whole document. Path parts in `skip` (such as the `body` that wraps a request) are left out."""
    return ".".join(str(p) for p in error.get("loc", ()) if p not in skip) or whole


def describe_validation_error(
    exc: HasErrors, prefix: str = "", *, whole: str = "(event)", skip: Collection[object] = ()
) -> str:
    """Every error as `{prefix}{field}: {reason}`, joined by "; " (see `field_path` for `whole` and `skip`)."""
    return "; ".join(f"{prefix}{field_path(e, whole, skip)}: {e.get('msg')}" for e in exc.errors())
