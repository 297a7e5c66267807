"""Offline checks of template.yaml and the ASL that `sam validate` does not make.

- the SAM template translates (samtranslator) and cfn-lint finds no error in the translated CloudFormation
  (cfn-lint does not look inside AWS::Serverless::StateMachine, so the translated template is what to lint);
- every `${Name}` in the ASL has a DefinitionSubstitution and every substitution is used;
- every Lambda error name the ASL retries or catches exists in skymarshal.errors (or is an AWS one).

Run: python -m skymarshal_local.templatecheck
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency_errors

from skymarshal import errors
from skymarshal_local.template import ASL, STATE_MACHINE_ID, load_template, translate

AWS_ERRORS = re.compile(r"^(States\.|Lambda\.|Sandbox\.)")
# Rules that only say a feature is missing in some regions (all regions are linted): E2530, SnapStart is not
# offered in GovCloud, China, the ISO partitions and a few new regions; docs/DEPLOY.md names the limitation.
REGIONAL_ONLY = {"E2530"}


def translated(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    sam = load_template()
    # The translator wants S3 locations; the values are placeholders for the check only.
    sam["Globals"]["Function"]["CodeUri"] = "s3://bucket/functions.zip"
    sam["Resources"][STATE_MACHINE_ID]["Properties"]["DefinitionUri"] = "s3://bucket/disruption.asl.json"
    return translate(sam, parameters or {})


def cfn_lint_errors(cfn: dict[str, Any]) -> list[str]:
    from cfnlint.api import lint_all  # dev-only and slow to import: only this check needs it

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cfn, f)
    matches = lint_all(Path(f.name).read_text())
    return [f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})" for m in matches
            if m.rule.id.startswith("E") and m.rule.id not in REGIONAL_ONLY]


def substitution_errors() -> list[str]:
    sam = load_template()
    subs = set(sam["Resources"][STATE_MACHINE_ID]["Properties"]["DefinitionSubstitutions"])
    used = set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))
    errors = [f"ASL uses ${{{n}}} but template.yaml has no DefinitionSubstitution for it" for n in used - subs]
    errors += [f"DefinitionSubstitution {n} is not used by the ASL" for n in subs - used]
    return errors


def error_name_errors() -> list[str]:
    """Every custom error name the ASL matches is an exception class a handler can raise: ours, or
    Powertools' idempotency errors (raised by the agent handler's idempotent_function)."""
    known = {n for module in (errors, idempotency_errors) for n in dir(module)
             if isinstance(getattr(module, n), type)}
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("Retry", "Catch"):
                for rule in node.get(key, []):
                    names.update(rule["ErrorEquals"])
            if node.get("Type") == "Fail" and "Error" in node:
                names.add(node["Error"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(ASL.read_text()))
    return [f"ASL names error {n!r}, which skymarshal.errors does not define" for n in sorted(names)
            if not AWS_ERRORS.match(n) and n not in known]


def main() -> int:
    problems = substitution_errors() + error_name_errors() + cfn_lint_errors(translated())
    for p in problems:
        print(p, file=sys.stderr)
    print(f"template check: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
