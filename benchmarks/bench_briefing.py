"""Benchmark: what one model-written briefing costs, per model, from token counts and the model's list price
(benchmarks/briefing_prices.json, configuration). No model is called: the input is the real prompt of each
sample decision (system prompt + facts), counted at CHARS_PER_TOKEN (an estimate; pass measured counts from an
audit record with --input-tokens/--output-tokens to price a real call); the output is priced at the token limit
(BRIEFING_MAX_TOKENS, the most a briefing can cost) and at the template briefing's length (a typical one).

Run: `PYTHONPATH=functions:local:tests/unit/domain python benchmarks/bench_briefing.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _common import row, write

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "unit" / "domain"))
CHARS_PER_TOKEN = 4.0
TARGET_USD = 0.01  # a briefing should cost well under a cent


def main() -> None:
    from domain_scenarios import SCENARIOS, run_pipeline

    from skymarshal.config import settings
    from skymarshal.domain.briefing import SYSTEM_PROMPT, briefing_facts, template_briefing, user_prompt

    parser = argparse.ArgumentParser()
    parser.add_argument("--prices", type=Path, default=HERE / "briefing_prices.json")
    parser.add_argument("--input-tokens", type=int, help="measured input tokens (audit: model.input_tokens)")
    parser.add_argument("--output-tokens", type=int, help="measured output tokens")
    args = parser.parse_args()
    prices = {k: v for k, v in json.loads(args.prices.read_text()).items() if not k.startswith("_")}
    max_tokens = settings().briefing_max_tokens
    tokens = {}
    for stem in SCENARIOS:
        r = run_pipeline(stem)
        facts = briefing_facts(r.decision, r.options, r.snapshot, r.phase2)
        tokens[stem] = {
            "input": args.input_tokens or round((len(SYSTEM_PROMPT) + len(user_prompt(facts))) / CHARS_PER_TOKEN),
            "typical_output": args.output_tokens or round(len(template_briefing(facts)) / CHARS_PER_TOKEN),
        }
    rows = []
    worst_input = max(t["input"] for t in tokens.values())
    typical_output = max(t["typical_output"] for t in tokens.values())
    for model, p in prices.items():
        typical = worst_input / 1000 * p["input_per_1k"] + typical_output / 1000 * p["output_per_1k"]
        bound = worst_input / 1000 * p["input_per_1k"] + max_tokens / 1000 * p["output_per_1k"]
        rows.append(row(f"briefing cost {model} (typical)", typical, "USD", TARGET_USD))
        rows.append(row(f"briefing cost {model} (at the {max_tokens}-token limit)", bound, "USD", TARGET_USD))
    write("briefing", {"tokens": tokens, "chars_per_token": CHARS_PER_TOKEN, "max_tokens": max_tokens,
                       "prices": prices}, rows)


if __name__ == "__main__":
    main()
