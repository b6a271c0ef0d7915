# The two commands: `make run` (set up everything and serve the demo) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The mock OpenAI-compatible provider behind the governed gateway (gateway/mock_upstream.py), local only.
GATEWAY_MOCK_PORT ?= 8099

.PHONY: run test venv lint format demo worker beat mock-upstream clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: venv
	$(PY) manage.py check
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --url http://$(HOST):$(PORT)/

# The web server in the foreground (uvicorn serving aims.asgi: the pages and the gateway's
# async views), one worker, Celery beat (the periodic tasks, e.g. re-queueing a pack whose
# worker died) and the gateway's mock model provider in the background; Ctrl-C (or the
# server exiting) stops all three. Beat keeps its schedule in var/ (CELERY_BEAT_SCHEDULE_FILENAME).
run: demo
	@echo
	@echo "  AIMS register: http://$(HOST):$(PORT)/"
	@echo "  Demo logins: owner, officer, leader, contributor, auditor, outsider"
	@echo "  Password for every demo user: $$($(PY) manage.py shell --no-imports -c 'from aims.demo import DEMO_PASSWORD; print(DEMO_PASSWORD)')"
	@echo "  Then the authenticator code: $(PY) manage.py demo_otp USERNAME prints it"
	@echo "  (or add the key $$($(PY) manage.py shell --no-imports -c 'from aims.demo import DEMO_TOTP_SECRET; print(DEMO_TOTP_SECRET)') to an authenticator app)"
	@echo "  Governed AI gateway (OpenAI API, base URL for the SDK): http://$(HOST):$(PORT)/gateway/v1"
	@echo "  Mock model provider (OpenAI API) behind the gateway: http://127.0.0.1:$(GATEWAY_MOCK_PORT)/v1"
	@echo
	@$(VENV)/bin/celery -A aims worker --loglevel=INFO --concurrency=1 & worker=$$!; \
	$(VENV)/bin/celery -A aims beat --loglevel=INFO & beat=$$!; \
	$(PY) manage.py gateway_mock_upstream --host 127.0.0.1 --port $(GATEWAY_MOCK_PORT) & upstream=$$!; \
	trap 'kill -TERM $$worker $$beat $$upstream 2>/dev/null; wait $$worker $$beat $$upstream 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(VENV)/bin/uvicorn aims.asgi:application --host $(HOST) --port $(PORT)

worker: venv
	$(VENV)/bin/celery -A aims worker --loglevel=INFO --concurrency=1

beat: venv
	$(VENV)/bin/celery -A aims beat --loglevel=INFO

mock-upstream: venv
	$(PY) manage.py gateway_mock_upstream --host 127.0.0.1 --port $(GATEWAY_MOCK_PORT)

test: venv
	$(PY) -m pytest -n auto --dist loadfile

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
