"""The arbitrator's steps, one module per concern (composed in order by `arbitrator.arbitrate`).

| module | step |
|---|---|
| `views.py` | which agent views count (each agent's latest), an agent's score for an option |
| `feasibility.py` | rule 1: binding safety constraints decide feasibility |
| `scoring.py` | rules 2-3: weighted score, conservative tie-break, Pareto front |
| `ranking.py` | the recommended option and its alternatives, with costs and recovery plans |
| `confidence.py` | rule 4: confidence and the reasons to escalate |
| `citations.py` | the regulatory guidance behind the binding rules |
| `rationale.py` | the human-readable "why" of the decision |
| `approval.py` | whether a duty manager must approve |
"""
