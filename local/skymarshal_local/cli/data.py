"""`seed` and `schema`: operational data into the ops-data table, and the JSON Schemas of the input documents."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from skymarshal.domain.operation import OpsDataset
from skymarshal.models import DisruptionEvent
from skymarshal_local.cli.common import EndpointOpt, RegionOpt, StackOpt, fail, target_for
from skymarshal_local.cli.render import console
from skymarshal_local.datagen import generate_day
from skymarshal_local.operations.seed import OpsDataError, load_dataset_into, read_dataset

app = typer.Typer()
schema_app = typer.Typer(help="Print the JSON Schema of an input document.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@app.command()
def seed(
    data: Annotated[Path | None, typer.Option("--data", help="Import document (JSON); default: a generated day.")]
    = None,
    scale: Annotated[float, typer.Option(help="Size of the generated day (1.0 = ~1,000 flights).")] = 1.0,
    endpoint_url: EndpointOpt = None, stack_name: StackOpt = None, region: RegionOpt = None,
) -> None:
    """Load operational data into the ops-data table (validated first; errors name the field)."""
    try:
        dataset = read_dataset(data) if data else generate_day(scale=scale)
    except OpsDataError as exc:
        fail(str(exc), code=2)
    target = target_for(endpoint_url, stack_name, region)
    t0 = time.perf_counter()
    counts = load_dataset_into(target.outputs["OpsDataTableName"], dataset)
    console.print(f"loaded {sum(counts.values())} items in {time.perf_counter() - t0:.1f}s: {counts}")


@schema_app.command("ops-data")
def schema_ops_data() -> None:
    """The JSON Schema of the operational-data import document."""
    print(json.dumps(OpsDataset.model_json_schema(), indent=2))


@schema_app.command("event")
def schema_event() -> None:
    """The JSON Schema of a disruption event."""
    print(json.dumps(DisruptionEvent.model_json_schema(), indent=2))
