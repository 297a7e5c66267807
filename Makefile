# SkyMarshal: the verbs you type. Everything installs into ./.venv from this repository's own files.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAM_STAMP := $(VENV)/.sam-installed
export SAM_CLI_TELEMETRY := 0
export AWS_EC2_METADATA_DISABLED := true

EVENT ?= events/ey123-technical-delay.json
# The demo runs against the generated hub-airline day (deterministic, seed 7): ~1,000 flights, 150 aircraft,
# ~3,700 crew, ~150,000 bookings and cargo, loaded in ~13 s (HUB_SCALE=0.1 for a smaller day).
HUB_SCALE ?= 1.0

.PHONY: help install demo test test-fast eval lint validate security bench build deploy serve clean

help:
	@echo "make demo      run one disruption end to end on the embedded stack (interactive approval)"
	@echo "make test      install and run the whole test suite (the decision-quality suite included)"
	@echo "make eval      the decision-quality suite: one line per scenario (expected, actual), fails on a miss"
	@echo "make lint      ruff, ASL validation, cfn-lint on the translated template, sam validate (+ --lint)"
	@echo "make security  checkov over template.yaml (own venv .venv-checkov; skips justified in .checkov.yaml)"
	@echo "make bench     benchmarks (numbers and ratios, JSON in benchmarks/results/)"
	@echo "make serve     the embedded stack as a long-lived endpoint on 127.0.0.1:8642"
	@echo "make build     sam build (no Docker needed)   make deploy: sam deploy --guided"

$(STAMP): pyproject.toml functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

$(SAM_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[sam]"
	touch $(SAM_STAMP)

demo: $(STAMP)
	$(BIN)/skymarshal run $(EVENT) --hub-day $(HUB_SCALE)

test: $(STAMP)
	# Two processes: unit and conformance tests use moto's in-process mock (which resets moto's global backends), the rest share
	# one embedded stack per worker process (moto is process-global).
	$(BIN)/python -m pytest -n 2 tests/unit tests/conformance
	$(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/unit --ignore=tests/conformance

# tests/scenarios: hand-made scenarios with the decision an operations controller expects (also run by `make
# test`, as tests/scenarios/test_scenarios.py).
eval: $(STAMP)
	$(BIN)/python -m tests.scenarios.suite

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not workflow and not slow"

lint: $(STAMP)
	$(BIN)/ruff check functions local tests benchmarks
	$(BIN)/mypy functions/skymarshal
	$(BIN)/statelint --ignore=FLOAT,URI statemachines/disruption.asl.json
	$(BIN)/python -m skymarshal_local.templatecheck

validate: $(SAM_STAMP)
	$(BIN)/sam validate --region eu-west-1
	$(BIN)/sam validate --lint --region eu-west-1

# checkov gets its own venv: it pins boto3/botocore versions that conflict with the project's (moto, sam).
CHECKOV_VENV    ?= .venv-checkov
CHECKOV_VERSION ?= 3.3.30
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"
	touch $(CHECKOV_STAMP)

# No failed check, or the target fails. --skip-download: no call to the Prisma Cloud API (offline CI).
security: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --config-file .checkov.yaml \
		--skip-download

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

serve: $(STAMP)
	$(BIN)/skymarshal serve

build: $(SAM_STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam build

deploy: build
	$(BIN)/sam deploy --guided

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache benchmarks/results
