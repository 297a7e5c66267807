"""SkyMarshal local: the embedded stack and the operator CLI. Never imported by Lambda code."""
