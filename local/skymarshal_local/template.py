"""template.yaml and the ASL as the local side reads them: SAM loaded with CloudFormation's short tags, translated
to CloudFormation offline, and the Lambda code zipped. Used by the embedded stack and by `templatecheck`."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

from skymarshal_local.localenv import REGION, ROOT

TEMPLATE = ROOT / "template.yaml"
ASL = ROOT / "statemachines" / "disruption.asl.json"
STATE_MACHINE_ID = "DisruptionStateMachine"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    # samtranslator is imported on use: it is slow to import and only the stack and the checks need it
    from samtranslator.yaml_helper import yaml_parse  # CloudFormation short tags (!Ref, !Sub, ...)

    return yaml_parse(path.read_text())  # type: ignore[no-any-return]


def translate(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """SAM -> CloudFormation, offline (samtranslator; no managed-policy lookups)."""
    # samtranslator is imported on use: it is slow to import and only the stack and the checks need it
    from samtranslator.parser.parser import Parser  # on use: slow to import
    from samtranslator.translator.translator import Translator  # on use: slow to import

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    translator = Translator(managed_policy_map=None, sam_parser=Parser())
    return translator.translate(  # type: ignore[no-any-return]
        sam_template=template, parameter_values=parameters, get_managed_policy_map=lambda: {}
    )


def code_zip(root: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".ruff_cache" not in path.parts:
                zf.write(path, path.relative_to(root).as_posix())
    return buf.getvalue()
