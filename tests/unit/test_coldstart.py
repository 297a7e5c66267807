"""What a Lambda sandbox pays and keeps at start: a handler imports only the code it runs (cold start, measured
in benchmarks/bench_coldstart.py), and a sandbox restored from a SnapStart snapshot makes its own AWS clients
and draws its own retry jitter. Each case runs in a fresh interpreter, as a new sandbox does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fresh(code: str) -> object:
    """Run `code` in a new interpreter with the functions' environment (template Globals, Lambda variables,
    tracing enabled as on AWS); it prints one JSON value, returned."""
    sys.path.insert(0, str(ROOT / "functions"))
    from skymarshal.config import REQUIRED

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")},
           **{name: f"test-{name.lower()}" for name in REQUIRED},
           "POWERTOOLS_SERVICE_NAME": "skymarshal", "POWERTOOLS_METRICS_NAMESPACE": "SkyMarshal",
           "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_NAME": "test",
           "LAMBDA_TASK_ROOT": str(ROOT / "functions"), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "PYTHONPATH": str(ROOT / "functions")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


NOT_USED = {
    # a failed agent's record needs neither the preparation, the arbitrator, the briefing nor the rule corpus
    "agent_failure": ["skymarshal.domain.agents.crew_compliance", "skymarshal.domain.ftl", "skymarshal.steps.prepare",
                      "skymarshal.steps.briefing", "skymarshal.domain.arbitrator",
                      "skymarshal.knowledge", "skymarshal.briefing"],
    # preparing a disruption runs no agent and no arbitration
    "prepare": ["skymarshal.domain.agents", "skymarshal.domain.arbitrator", "skymarshal.steps.briefing",
                "skymarshal.knowledge"],
    # an agent does not prepare, arbitrate or brief
    "agent": ["skymarshal.steps.prepare", "skymarshal.domain.arbitrator", "skymarshal.briefing",
              "skymarshal.knowledge"],
    # the duty manager's API reads threads and commits holds: it builds no snapshot and runs no step, and it loads
    # the holds (with the operational records and the fleet rules) on its first decision, not for the console
    "approval_api": ["skymarshal.domain.operation.snapshot", "skymarshal.steps", "skymarshal.domain.agents",
                     "skymarshal.domain.arbitrator", "skymarshal.knowledge", "skymarshal.stores.fleet",
                     "skymarshal.domain.fleet", "skymarshal.domain.operation.records"],
    # starting a workflow checks the event and its flights, not what the steps build from them, nor the import
    # document (the in-memory reader's input)
    "intake": ["skymarshal.domain.operation.snapshot", "skymarshal.steps", "skymarshal.domain.fleet",
               "skymarshal.domain.agents", "skymarshal.domain.operation.document"],
    # asking for and settling an approval does not arbitrate again or write the briefing
    **{handler: ["skymarshal.steps.arbitration", "skymarshal.domain.arbitrator", "skymarshal.domain.briefing",
                 "skymarshal.domain.agents", "skymarshal.knowledge", "skymarshal.steps.prepare"]
       for handler in ("request_approval", "finalize")},
}


@pytest.mark.parametrize("handler", sorted(NOT_USED))
def test_a_handler_imports_only_the_code_it_runs(handler):
    loaded = fresh(f"import sys, json, skymarshal.handlers.{handler}; print(json.dumps(sorted(sys.modules)))")
    assert f"skymarshal.handlers.{handler}" in loaded
    assert [m for m in NOT_USED[handler] if m in loaded] == []
    # the X-Ray SDK patches botocore (every AWS call is traced), not libraries the functions do not use
    assert "requests" not in loaded


HANDLERS = sorted(set(re.findall(r"Handler: (skymarshal\.handlers\.\w+)\.", (ROOT / "template.yaml").read_text())))


def test_every_handler_resumes_the_garbage_collector_it_paused_for_its_import():
    # skymarshal.handlers pauses the collector during a handler's import; a handler module that does not end with
    # initialised() would leave a Lambda sandbox without cyclic garbage collection for its whole life
    assert len(HANDLERS) == 10
    code = ("import gc, json, sys\nfrom skymarshal import handlers\npaused = not gc.isenabled()\n"
            "import {0}\nprint(json.dumps([paused, gc.isenabled(), gc.get_freeze_count() > 10000]))")
    for handler in HANDLERS:
        assert fresh(code.format(handler)) == [True, True, True], handler
    # the local runtime's zygote imports every handler: the collector runs after all of them
    assert fresh("import gc, json\nimport " + ", ".join(HANDLERS) + "\nprint(json.dumps(gc.isenabled()))") is True


def test_the_prepare_step_loads_alone_and_stays_the_step_function_whoever_imports_its_module_first():
    loaded = fresh("import json, sys, skymarshal.steps.prepare\nfrom skymarshal import steps\n"
                   "from skymarshal.steps import prepare, parse_event\n"
                   "print(json.dumps([type(steps.prepare).__name__, type(prepare).__name__, callable(parse_event),"
                   " 'skymarshal.domain.agents' in sys.modules, 'skymarshal.steps.decision' in sys.modules]))")
    assert loaded == ["function", "function", True, False, False]


def test_a_package_name_loads_its_own_module_and_is_the_object_defined_there():
    # skymarshal.lazy: `from skymarshal.domain.operation import Flight` reads the records, not the snapshot builder
    # and the workflow models behind it; every re-exported name is the object of the module that defines it
    loaded = fresh("import json, sys\nfrom skymarshal.domain.operation import Flight, flight_key\n"
                   "first = sorted(m for m in sys.modules if m.startswith('skymarshal'))\n"
                   "import importlib\nwrong = []\n"
                   "for package in ('skymarshal.domain', 'skymarshal.domain.operation', 'skymarshal.steps'):\n"
                   "    p = importlib.import_module(package)\n"
                   "    for name in p.__all__:\n"
                   "        value = getattr(p, name)\n"
                   "        home = getattr(value, '__module__', None)\n"
                   "        if home and getattr(importlib.import_module(home), name, value) is not value:\n"
                   "            wrong.append(package + '.' + name)\n"
                   "try:\n    p.no_such_name\nexcept AttributeError as e:\n    missing = str(e)\n"
                   "print(json.dumps([first, wrong, missing]))")
    first, wrong, missing = loaded
    assert "skymarshal.domain.operation.records" in first
    assert [m for m in first if m.endswith((".snapshot", ".document", ".reader")) or ".models" in m] == []
    assert wrong == []
    assert missing == "module 'skymarshal.steps' has no attribute 'no_such_name'"


RESTORE = """
import json, random, snapshot_restore_py
import skymarshal.handlers.agent as agent
from skymarshal import aws
before, idempotent = aws.client("dynamodb"), agent.idempotent_agent_view()  # as after a first invocation
random.seed(42)  # every sandbox restored from one snapshot starts from the same state
for hook, args, kwargs in snapshot_restore_py.get_after_restore():  # what the Lambda runtime runs on restore
    hook(*args, **kwargs)
after = aws.client("dynamodb")
print(json.dumps([after is not before, agent.idempotent_agent_view() is not idempotent, random.random()]))
"""


def test_a_sandbox_restored_from_a_snapshot_makes_new_clients_and_draws_its_own_jitter():
    first, second = fresh(RESTORE), fresh(RESTORE)
    assert first[:2] == [True, True]  # new clients: no connection opened before the snapshot is reused
    assert first[2] != second[2]  # botocore's retry jitter differs between restored sandboxes


SNAPSHOT = """
import json, sys, snapshot_restore_py
import {handler} as handler
from skymarshal import aws, handlers
deferred = len(handlers.deferred_models())
hooks = snapshot_restore_py.get_before_snapshot()
for hook, args, kwargs in reversed(hooks):  # what Lambda runs before it snapshots a published version
    hook(*args, **kwargs)
made = aws.client.cache_info().currsize  # the clients the hooks created
clients = {{s: aws.client(s) for s in ("dynamodb", "s3")}} if hooks else {{}}
session, loader = aws.session(), aws._loader()
for hook, args, kwargs in snapshot_restore_py.get_after_restore():
    hook(*args, **kwargs)
print(json.dumps([len(hooks), deferred, len(handlers.deferred_models()), made,
                  aws.session() is not session, aws._loader() is loader,
                  all(aws.client(s) is not c for s, c in clients.items()), "skymarshal.stores.fleet" in sys.modules]))
"""

SNAPSTART = sorted(re.findall(r"Handler: (skymarshal\.handlers\.\w+)\.lambda_handler\n(?:.*\n){0,12}?\s+SnapStart:",
                              (ROOT / "template.yaml").read_text()))


def test_a_snapstart_function_builds_its_models_and_clients_before_the_snapshot_and_only_its_clients_after():
    # https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html: preload in initialisation what
    # the first invocation would otherwise do; the restored sandbox must still make its own clients
    assert len(SNAPSTART) == 8, SNAPSTART  # the seven the state machine invokes and the approval API
    for handler in SNAPSTART:
        hooks, deferred, left, made, new_session, same_loader, new_clients, fleet = fresh(
            SNAPSHOT.format(handler=handler))
        assert hooks == 1, handler
        assert deferred > 30 and left == 0, handler  # every model's validator built into the snapshot
        # the approval API imports the fleet holds on its first decision; its snapshot holds them already
        assert fleet or handler != "skymarshal.handlers.approval_api"
        assert made >= 2, handler  # at least the checkpoint store's clients (DynamoDB, S3)
        assert new_session and same_loader and new_clients, handler  # fresh credentials and clients, models kept
    # a function without SnapStart has nothing to snapshot: its first invocation builds what it uses
    for handler in sorted(set(HANDLERS) - set(SNAPSTART)):
        hooks, deferred, left, *_ = fresh(SNAPSHOT.format(handler=handler))
        assert hooks == 0 and left == deferred, handler
