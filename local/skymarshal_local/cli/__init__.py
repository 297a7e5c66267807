"""`skymarshal`: the operator CLI, one tool for the embedded stack and for a deployed stack.

Targets: `run` and `serve` start the embedded stack in this process; every other command talks to
`--endpoint-url URL` (default: a running `skymarshal serve`, http://127.0.0.1:8642) or, with `--stack-name`,
to a deployed stack on AWS (reads its Outputs; credentials and region from the usual AWS settings).

One module per group of commands, merged into one flat command list (in this order):
`run` (run, serve), `operate` (start, approve, reject, token, status, show), `intake` (submit, dlq),
`recover` (redrive, stop, replay, audit), `data` (seed, schema); `render` draws, `common` holds the shared options
and turns a TargetError from any command into `error: ...` and an exit code (common.OperatorErrors).
"""

from __future__ import annotations

import typer

from skymarshal_local.cli import data, intake, operate, recover, run
from skymarshal_local.cli.common import OperatorErrors

app = typer.Typer(
    name="skymarshal",
    help="SkyMarshal: one disruption in, one approved recovery decision out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    cls=OperatorErrors,
)
for group in (run.app, operate.app, intake.app, recover.app, data.app):
    app.add_typer(group)


def main() -> None:  # pragma: no cover
    app()
