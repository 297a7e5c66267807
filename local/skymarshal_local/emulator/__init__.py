"""The AWS emulator: moto, taught what SkyMarshal needs from AWS that moto 5.2.5 does not do as AWS does.

- `stack`        the embedded stack: moto's server on 127.0.0.1, template.yaml deployed into it
- `patches`      small moto patches, one function per AWS behaviour supplied
- `runtime`      the Lambda runtime: moto's Lambda invocations run the real handlers in warm sandbox processes
- `sandbox`      one sandbox process (and the zygote they are forked from)
- `redrive`      RedriveExecution inside moto's Step Functions engine; a failed Map iteration aborts its siblings
- `statusevents` Step Functions status-change events on EventBridge; EventBridge rules that invoke Lambda
- `eventsource`  SQS -> Lambda event source mappings, polled as Lambda's pollers do
- `fastdynamo`   DynamoDB Query reading only the queried partition
- `console_server` the approval API and console behind a local stand-in for API Gateway

moto is imported inside the functions that patch or start it: it takes seconds to import and only the embedded
stack needs it, so the CLI's other commands never pay for it. Nothing here imports the operator side
(`skymarshal_local.operations`, `skymarshal_local.cli`).
"""
