"""Powertools Logger, Tracer and Metrics: one instance each per container, configured by environment variables
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL from template.yaml Globals).

The defaults below are the template's values, so a module that imports these before the environment is set
(the checkpoint store, also used by the operator CLI) still gets a valid namespace and service."""

import io
import os
import sys

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "skymarshal")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SkyMarshal")


class _Stdout(io.TextIOBase):
    """The Logger writes to whatever sys.stdout is when it logs (Lambda's log stream), not to the stream that
    was current when this module was imported. Written by hand: the Logger only takes a stream object."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(service=SERVICE, stream=_Stdout())  # type: ignore[arg-type]  # a text stream, not IO[str]
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
