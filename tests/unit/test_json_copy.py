"""patches.json_copy, the engine's copy of state data: a JSON value comes back equal and sharing nothing that
could be changed; anything else is deep-copied as before; the engine modules it is installed in are every one
of the installed moto's Step Functions engine that copies."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import moto

from skymarshal_local.emulator.patches import ENGINE_MODULES_THAT_COPY, json_copy


def test_a_json_value_is_copied_whole_and_shares_no_container():
    value = {"a": [1, 2.5, None, True, "s", {"b": []}], "c": {"d": {"e": "f"}}}
    copied = json_copy(value)
    assert copied == value
    assert copied is not value and copied["a"] is not value["a"] and copied["a"][5] is not value["a"][5]
    assert copied["a"][5]["b"] is not value["a"][5]["b"] and copied["c"]["d"] is not value["c"]["d"]
    copied["c"]["d"]["e"] = "changed"
    copied["a"][5]["b"].append(1)
    assert value == {"a": [1, 2.5, None, True, "s", {"b": []}], "c": {"d": {"e": "f"}}}


def test_what_is_not_json_is_deep_copied():
    inner = [1]
    value = {"when": (inner, Decimal("1.5")), "set": {1, 2}}
    copied = json_copy(value)
    assert copied == value
    assert copied["when"][0] is not inner and copied["set"] is not value["set"]


def test_every_engine_module_that_copies_gets_the_json_copy():
    root = Path(moto.__file__).parent / "stepfunctions" / "parser"
    found = {"moto.stepfunctions.parser." + ".".join(p.relative_to(root).with_suffix("").parts)
             for p in root.rglob("*.py") if re.search(r"^import copy$", p.read_text(), re.M)}
    # provider.py is LocalStack's and needs the localstack package: moto never imports it
    assert found - {"moto.stepfunctions.parser.provider"} == set(ENGINE_MODULES_THAT_COPY)
