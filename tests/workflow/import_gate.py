"""Events that hold tests/workflow/slow_import_handler.py's import open (see test_lambda_runtime.py)."""

import threading

STARTED = threading.Event()
RELEASE = threading.Event()
