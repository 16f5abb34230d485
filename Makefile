# ServiceDesk. Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run   — install, migrate, load demo data, start web + Celery worker + beat
#   make test  — install the test dependencies and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: run test install install-dev messages check-messages clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py i18n_compile
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runall --host $(HOST) --port $(PORT)

test: install-dev
	$(PY) manage.py i18n_compile
	$(PY) -m pytest $(PYTEST_ARGS)

# Maintainers: refresh the catalogues after changing user-facing text (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=staticfiles --ignore=var --ignore=tests
	$(PY) manage.py i18n_compile

check-messages: install
	$(PY) manage.py i18n_check

clean:
	rm -rf $(VENV) var staticfiles
