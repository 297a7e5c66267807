"""What an operator does to a SkyMarshal stack, the same against AWS and the embedded stack: each action takes
the one `skymarshal_local.target.Target` and talks to the stack through its APIs only.

- `redrive`  RedriveExecution of a failed run (by ARN or thread id)
- `replay`   a new execution that resumes a thread after one of its checkpoints
- `submit`   events to the intake queue; the dead-letter queue read and replayed
- `audit`    a thread's checkpoints merged with its execution history (JSON, Markdown, CSV)
- `seed`     operational data loaded into the ops-data table
"""
