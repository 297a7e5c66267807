"""The import document on disk: JSON, gzip-compressed when the name ends in `.gz`.

`read_dataset` is the one reader (`skymarshal seed --data`, `run --ops-data`, the scenarios, the tests): every
way a file can be wrong (missing, unreadable, not gzip or truncated, not JSON, not a valid dataset) is a
`DatasetFileError` whose message names the file, the field and the reason.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from pydantic import ValidationError

from skymarshal.domain.operation import OpsDataset
from skymarshal.steps import describe_validation_error


class DatasetFileError(ValueError):
    """The import document could not be read; the message names the file, the field and the reason."""


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
    """Read an import document (plain or `.gz`, as `write_dataset` writes it); raises `DatasetFileError`."""
    source = Path(path)
    try:
        data = gzip.decompress(source.read_bytes()) if source.suffix == ".gz" else source.read_bytes()
        return OpsDataset.model_validate_json(data)
    except ValidationError as exc:
        raise DatasetFileError(f"{source}: {describe_validation_error(exc)}") from exc
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DatasetFileError(f"{source}: {exc}") from exc
