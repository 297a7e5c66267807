"""The import document on disk: JSON, gzip-compressed when the name ends in `.gz`."""

from __future__ import annotations

import gzip
from pathlib import Path

from skymarshal.domain.operation import OpsDataset


def write_dataset(ds: OpsDataset, path: str | Path, *, indent: int | None = None) -> Path:
    """Write the import document as JSON (gzip-compressed when the name ends in `.gz`); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = ds.model_dump_json(indent=indent).encode()
    if target.suffix == ".gz":
        with gzip.GzipFile(filename=target, mode="wb", mtime=0) as fh:
            fh.write(data)
    else:
        target.write_bytes(data)
    return target


def read_dataset(path: str | Path) -> OpsDataset:
    """Read an import document written by `write_dataset` (plain or `.gz`)."""
    source = Path(path)
    data = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
    return OpsDataset.model_validate_json(data)
