"""Powertools Logger, Tracer and Metrics: one instance each per container. The service name and metrics
namespace come from skymarshal.config (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE from template.yaml
Globals; Powertools reads its other variables, such as POWERTOOLS_LOG_LEVEL, itself).

The defaults are the template's values, so a module that imports these before the environment is set
(the checkpoint store, also used by the operator CLI) still gets a valid namespace and service."""

import io
import sys
import time
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

from skymarshal.config import settings

SERVICE = settings().service_name
NAMESPACE = settings().metrics_namespace


class _Stdout(io.TextIOBase):
    """The Logger writes to whatever sys.stdout is when it logs (Lambda's log stream), not to the stream that
    was current when this module was imported. Written by hand: the Logger only takes a stream object."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(service=SERVICE, stream=_Stdout())  # type: ignore[arg-type]  # a text stream, not IO[str]
# Only botocore is patched: every AWS call is a subsegment. patch_all would also import and patch requests,
# httplib, sqlite3 (the in-memory guidance index: one subsegment per query), ... which the functions do not
# call over the network; importing them cost the cold start (benchmarks/bench_coldstart.py).
tracer = Tracer(service=SERVICE, patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# A handler that publishes no metric in an invocation is normal here (most steps only count on failure); the
# Powertools Metrics documentation silences its UserWarning this way (raise_on_empty_metrics=False does not).
warnings.filterwarnings("ignore", message="No application metrics to publish.*", category=UserWarning)


class Timer:
    """Milliseconds spent in a step, for checkpoint `duration_ms` and latency metrics."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> int:
        return int((time.perf_counter() - self.start) * 1000)
