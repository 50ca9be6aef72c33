# Sightline: the two commands are `make run` and `make test`; each sets up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python

.PHONY: help setup up down status run test test-unit test-integration lint fmt bench schemas chaos

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: ## Install what is missing: uv, the Python workspace venv (from uv.lock)
	@bash scripts/bootstrap.sh

up: setup ## Start the local platform (Kafka, Postgres, MinIO, nginx-rtmp); idempotent
	@$(PY) -m sightline_devstack up

down: ## Stop exactly what `make up` started
	@if [ -x $(PY) ]; then $(PY) -m sightline_devstack down; fi

status: setup ## Show the local platform's servers and their health
	@$(PY) -m sightline_devstack status

run: setup ## Start the whole stack with a demo source, in the foreground (Ctrl-C stops it)
	@$(PY) -m sightline_devstack run

test: setup ## Run every test (unit, integration against the real platform, lint)
	@bash scripts/test.sh

lint: setup ## ruff (lint + format check) and mypy on all Python
	@bash scripts/lint.sh

fmt: setup ## Format and auto-fix Python
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

bench: up ## Run every benchmark and print the figures (per machine: nproc is reported)
	@bash scripts/bench.sh

chaos: setup ## Faults on a throwaway stack + checker + recovery table (CHAOS_ARGS="--duration 900 --seed N")
	@$(PY) -m tests.chaos $(CHAOS_ARGS)

schemas: setup ## Regenerate message models (Python, TypeScript) from schemas/
	@bash scripts/gen_schemas.sh
