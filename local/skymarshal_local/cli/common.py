"""What every command shares: the target options, `target_for`, `fail`, and the one place a TargetError becomes
an error message and an exit code."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import requests
import typer
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from rich.text import Text
from typer.core import TyperGroup

from skymarshal_local.cli.render import err
from skymarshal_local.target import DEFAULT_ENDPOINT, Target, TargetError

EndpointOpt = Annotated[str | None, typer.Option(
    "--endpoint-url", envvar="SKYMARSHAL_ENDPOINT_URL",
    help=f"An embedded stack served by `skymarshal serve` (default {DEFAULT_ENDPOINT} unless --stack-name).")]
StackOpt = Annotated[str | None, typer.Option(
    "--stack-name", envvar="SKYMARSHAL_STACK_NAME", help="A deployed stack on AWS (reads its Outputs).")]
RegionOpt = Annotated[str | None, typer.Option("--region", envvar="AWS_REGION", help="AWS region (with --stack-name).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` (the message as text, never as Rich markup: it may quote user data) and exit."""
    err.print(Text("error: ", style="bold red") + Text(str(message)))
    raise typer.Exit(code)


def target_for(endpoint_url: str | None, stack_name: str | None, region: str | None) -> Target:
    if stack_name and not endpoint_url:
        return Target(stack_name=stack_name, region=region).activate()
    kwargs: dict[str, Any] = {"endpoint_url": endpoint_url or DEFAULT_ENDPOINT}
    if stack_name:
        kwargs["stack_name"] = stack_name
    return Target(**kwargs).activate()


class OperatorErrors(TyperGroup):
    """The `skymarshal` group: a TargetError from any command (something the operator can fix) is printed as
    `error: ...` and exits with its exit code (2 for an invalid event file, else 1), without a traceback; so is
    an endpoint that is unreachable or too slow, and an AWS API error (its code and message)."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, as vendored by typer
        try:
            return super().invoke(ctx)
        except TargetError as exc:
            fail(str(exc), exc.exit_code)
        except (EndpointConnectionError, ConnectionClosedError, requests.ConnectionError) as exc:
            fail(f"cannot reach {_where(exc)}: is it running? (`skymarshal serve`, or check --endpoint-url / "
                 "--stack-name)")
        except (ReadTimeoutError, ConnectTimeoutError, requests.Timeout) as exc:
            fail(f"{_where(exc)} did not answer in time: the stack is busy or stuck; retry, and check "
                 "`skymarshal serve`'s terminal")
        except ClientError as exc:
            error = exc.response.get("Error", {})
            fail(f"{exc.operation_name}: {error.get('Code', 'Error')}: {error.get('Message', str(exc))}")


def _where(exc: BaseException) -> str:
    url = getattr(exc, "kwargs", {}).get("endpoint_url") or getattr(getattr(exc, "request", None), "url", None)
    return str(url) if url else "the stack"
