# Two commands: `make briefing` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TICKER ?= META
AS_OF  ?=

.PHONY: briefing test app data check refresh catalogs git-filter bench-explorer bench-render bench-archive bench-soak bench-lab lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# an editable install skips data files: the Voila template a wheel puts in share/
	mkdir -p $(VENV)/share/jupyter/voila/templates
	cp -R share/jupyter/voila/templates/kit $(VENV)/share/jupyter/voila/templates/
	$(BIN)/pybabel compile --statistics -d kit/locale -D kit  # the catalogs (setup.py does it for a wheel)
	$(MAKE) --no-print-directory git-filter
	touch $@

## Strip outputs from notebooks/*.ipynb whenever they are staged (nbstripout as a git filter,
## keeping cell ids; .gitattributes names the files). Run by the set-up; harmless outside git.
git-filter:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean "'$(abspath $(BIN))/python' -m nbstripout --keep-id" && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config diff.ipynb.textconv "'$(abspath $(BIN))/python' -m nbstripout --keep-id -t" && \
	  echo "git filter: notebooks/*.ipynb are staged without outputs (nbstripout)"; fi

## Render a briefing from the shipped data and print the path of the HTML.
briefing: $(VENV)/.installed
	$(BIN)/kit render $(TICKER) $(if $(AS_OF),--as-of $(AS_OF))

## Run the whole test suite (needs Chromium for the browser test: apt-get install chromium).
test: $(VENV)/.installed
	$(BIN)/python -m pytest

## The explorer as a web app (Voila), offline: http://localhost:8866
app: $(VENV)/.installed
	$(BIN)/voila notebooks/explore.ipynb

## Rebuild data/ from ../shared/sources (or SOURCES=DIR).
data: $(VENV)/.installed
	$(BIN)/kit data build $(if $(SOURCES),--sources $(SOURCES))

## Print every source conflict, revision, gap and date caveat in data/.
check: $(VENV)/.installed
	$(BIN)/kit data check

## Refresh from SEC EDGAR and prices (needs KIT_SEC_USER_AGENT="Your Name you@example.com"; TICKERS=...).
refresh: $(VENV)/.installed
	$(BIN)/kit data refresh $(TICKERS)

## Time a widget change in the explorer to the updated chart in Chromium (bench/explorer.py).
bench-explorer: $(VENV)/.installed
	$(BIN)/python bench/explorer.py

## The whole set the kit's way against papermill + nbconvert per company (bench/render.py).
bench-render: $(VENV)/.installed
	$(BIN)/python bench/render.py

## The archive, incremental re-renders and Dask against the pool, as ratios (bench/archive.py).
bench-archive: $(VENV)/.installed
	$(BIN)/python bench/archive.py

## Soak: 50 batches, then 4 renders at once for 10 minutes; leaks of kernels, files, memory.
bench-soak: $(VENV)/.installed
	$(BIN)/python bench/soak.py

## JupyterLab's Run All of the briefing against kit render's cell time (needs Chromium).
bench-lab: $(VENV)/.installed
	$(BIN)/python bench/lab.py

## After changing any text: collect every string into kit/locale/kit.pot, merge it into each
## language's catalog (translate what `pybabel update` leaves empty or fuzzy), compile them.
catalogs: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -c L10N --no-location --sort-output \
	  --project=ai-capex-kit -o kit/locale/kit.pot .
	$(BIN)/pybabel update -i kit/locale/kit.pot -d kit/locale -D kit --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile --statistics -d kit/locale -D kit

lint: $(VENV)/.installed
	$(BIN)/ruff check kit tests bench

clean:
	rm -rf $(VENV) reports
