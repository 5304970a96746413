# The few commands a person types. `make run` sets up first when needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIPELINE ?= pipelines/clickstream.yaml
ARGS ?=

.PHONY: setup warmup run test lint plan bench clean golden-sql docs

$(BIN)/etl: pyproject.toml
	@scripts/check_java.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q framework transforms  # PYTHONDONTWRITEBYTECODE may be set
	@touch $(BIN)/etl

setup: $(BIN)/etl  ## virtual environment with the project installed editable (checks Java 17+)

# the archive is per Java and Spark install, not per pipeline: the clickstream one records it
warmup: setup  ## once per Java/Spark install: a class-data archive that halves JVM start-up
	$(BIN)/etl warmup --if-missing pipelines/clickstream.yaml --var sessions=300 --var users=100 \
		--var products=50 --var days=3

run: warmup  ## generate, transform and publish the clickstream warehouse
	$(BIN)/etl run $(PIPELINE) $(ARGS)

plan: setup  ## the dry-run plan of the clickstream pipeline (no Spark started)
	$(BIN)/etl plan $(PIPELINE) $(ARGS)

test: setup  ## the whole test suite
	$(BIN)/pytest -q

golden-sql: setup  ## after a change to sql_templates/: re-render tests/sql/golden, then review the diff
	$(BIN)/python scripts/update_golden_sql.py

docs: setup  ## after a change to a transform, the pipeline schema or the checks: rewrite docs/
	$(BIN)/etl docs -o docs

lint: setup
	$(BIN)/ruff check framework transforms tests bench
	$(BIN)/lint-imports

bench: setup  ## benchmarks: default scale; ~1M events vs a skilled script, the seed-style script and DuckDB; storage; ~10M events; SQL, report, checks; PostgreSQL load
	$(BIN)/python bench/run_bench.py $(ARGS)
	$(BIN)/python bench/sql_bench.py
	$(BIN)/python bench/report_bench.py
	$(BIN)/python bench/quality_bench.py
	$(BIN)/python bench/pg_load_bench.py

clean:
	rm -rf data .pytest_cache
