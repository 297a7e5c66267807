"""Loading operational data into the ops-data table (`skymarshal seed`, `run --ops-data`, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skymarshal import aws
from skymarshal.domain.operation import OpsDataset
from skymarshal.opsdata import dataset_items, load_dataset
from skymarshal_local import datagen
from skymarshal_local.emulator import fastdynamo
from skymarshal_local.localenv import SCENARIOS


class OpsDataError(ValueError):
    """The import document is invalid; the message names the file, the field and the reason."""


def read_dataset(path: Path) -> OpsDataset:
    """datagen.read_dataset (plain or .gz), its errors raised as OpsDataError with the same message."""
    try:
        return datagen.read_dataset(path)
    except datagen.DatasetFileError as exc:
        raise OpsDataError(str(exc)) from exc


def scenario_for(event_file: Path) -> Path | None:
    """The hand-made dataset that goes with a sample event (events/NAME.json -> data/scenarios/NAME.json)."""
    candidate = SCENARIOS / event_file.name
    return candidate if candidate.exists() else None


def clear_table(table_name: str) -> int:
    """Empty the ops-data table (local stack only: `run`/tests replace one dataset with another)."""
    table = aws.table(table_name)
    removed = 0
    scan_kwargs: dict = {"ProjectionExpression": "PK, SK"}
    while True:
        page = table.scan(**scan_kwargs)
        with table.batch_writer() as batch:
            for item in page["Items"]:
                batch.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
                removed += 1
        if "LastEvaluatedKey" not in page:
            return removed
        scan_kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def replace_ops_data(table_name: str, dataset: OpsDataset) -> dict[str, int]:
    clear_table(table_name)
    return load_dataset(dataset, table_name)


def load_dataset_into(table_name: str, dataset: OpsDataset) -> dict[str, int]:
    """Add a dataset to the table (AWS or local), keeping what is there."""
    return load_dataset(dataset, table_name)


def replace_ops_data_embedded(table_name: str, dataset: OpsDataset) -> dict[str, int]:
    """The embedded stack only: empty the table and load the dataset straight into moto (see below)."""
    fastdynamo.clear_items_direct(table_name)
    return load_dataset_embedded(table_name, dataset)


def replace_items_embedded(table_name: str, items: list[dict[str, Any]]) -> int:
    """The embedded stack only: empty the table and write items made elsewhere (a `GeneratedDay`'s, the same
    items `dataset_items` yields) straight into moto; returns the count."""
    fastdynamo.clear_items_direct(table_name)
    return fastdynamo.load_items_direct(table_name, items)


def load_dataset_embedded(table_name: str, dataset: OpsDataset) -> dict[str, int]:
    """The embedded stack only (moto in this process): write the items straight into moto's table, the same
    items `load_dataset` sends with BatchWriteItem, without the HTTP round trips (a 1,000-flight day: ~10 s
    instead of ~60 s)."""
    counts: dict[str, int] = {}

    def items() -> Iterator[dict[str, Any]]:
        for entity, item in dataset_items(dataset):
            counts[entity] = counts.get(entity, 0) + 1
            yield item

    fastdynamo.load_items_direct(table_name, items())
    return counts
