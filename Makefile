# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_CORPUS := data/wordnet-glosses.txt.gz
BENCH_CORPUS ?= $(firstword $(wildcard ../shared/corpora/bench-dev.txt.gz) $(DEMO_CORPUS))
DEMO_WORDS := king dog music water doctor

.PHONY: install demo test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: install
	mkdir -p demo
	$(BIN)/w2v-nce train $(DEMO_CORPUS) --loss neg --k 5 --dim 100 --epochs 5 \
		-o demo/vectors.txt --save-model demo/model.npz
	@for w in $(DEMO_WORDS); do \
		echo "== nearest to '$$w'"; \
		$(BIN)/w2v-nce most-similar $$w --vectors demo/vectors.txt --topn 8; \
	done

# Two pytest processes, each test file in one of them (its module fixtures built once):
# the suite is mostly Numba compiling kernels, one core each, so on 2 cores it takes half
# the time (CI's limit is 15 minutes on 2 cores). `$(BIN)/pytest -q` runs it in one.
test: install
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The bench extra builds word2vec.c (PyPI `word2vec`, gcc -O3 -march=native) and fastText.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# With PWORD2VEC_SRC set (a folder of IntelLabs/pWord2Vec's source), the pword2vec section
# builds it against MKL from PyPI's mkl-devel and runs it beside w2v-nce; without, it skips.
bench: $(VENV)/.bench-installed
	$(if $(PWORD2VEC_SRC),$(BIN)/pip install --quiet -e '.[pword2vec]')
	$(BIN)/python benchmarks/bench.py $(BENCH_CORPUS)

clean:
	rm -rf $(VENV) demo build *.egg-info
