"""What every command shares: the target options, `target_for`, `fail`, and the one place a TargetError becomes
an error message and an exit code."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
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
    `error: ...` and exits with its exit code (2 for an invalid event file, else 1), without a traceback."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, as vendored by typer
        try:
            return super().invoke(ctx)
        except TargetError as exc:
            fail(str(exc), exc.exit_code)
