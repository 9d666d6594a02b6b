# Listhaven: two commands matter. `make run` sets up and serves the demo archive; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export LISTHAVEN_DATA ?= $(CURDIR)/listhaven-data
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in the mail `make run` sends (confirmations, unsubscribe, footers) point at the server it starts.
run: export LISTHAVEN_SITE_URL ?= http://$(HOST):$(PORT)
# The commands `make run` prints name its store, its site (the links in the mail they make: footers,
# unsubscribe, held-post notices) and the program by full paths, so they work when pasted into another
# shell, in any directory, and on another PORT.
STORE_DIR = $(abspath $(LISTHAVEN_DATA))
SAME_STORE = LISTHAVEN_DATA=$(STORE_DIR) LISTHAVEN_SITE_URL=$(LISTHAVEN_SITE_URL) $(abspath $(BIN))/listhaven

.PHONY: run setup test test-fast browser-deps postgres-deps bench bench-deps fuzz soak lint lock clean demo

$(BIN)/listhaven: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

setup: $(BIN)/listhaven

# Sets up the store, generates and imports the demo archive once, gives the demo's list domains DKIM keys
# once, then runs the web server, the LMTP server and a worker together (listhaven run; Ctrl-C stops
# them). With no MTA set, mail goes to the outbox.
LMTP_PORT ?= 8024
run: setup
	$(BIN)/listhaven migrate
	@if [ ! -f "$(LISTHAVEN_DATA)/.demo-imported" ]; then \
		$(BIN)/listhaven demo-import && touch "$(LISTHAVEN_DATA)/.demo-imported"; \
	fi
	@# Once: a demo member who left (one-click unsubscribe) stays gone when make run starts again.
	@if [ ! -f "$(LISTHAVEN_DATA)/.demo-members" ]; then \
		$(BIN)/listhaven demo-members && touch "$(LISTHAVEN_DATA)/.demo-members"; \
	fi
	@# DKIM keys for the demo's list domains, made the first time (a domain that has one keeps it), so the
	@# copies in the outbox are signed as a real site's are; the first time it prints the DNS records.
	$(BIN)/listhaven demo-dkim
	@echo "Web:  http://$(HOST):$(PORT)/"
	@echo "Mail the lists send (no MTA set): the Maildir $(STORE_DIR)/outbox/new/, or http://$(HOST):$(PORT)/manage/outbox/ signed in with an account from: $(SAME_STORE) createadmin"
	@echo "Owner of the demo list harbour-dev: olive@lists.example.org; to sign in as her, give that address at http://$(HOST):$(PORT)/accounts/link/ and open the link that lands in the outbox"
	@echo "LMTP: $(HOST):$(LMTP_PORT)   (Postfix's tables of the lists, kept up to date: $(STORE_DIR)/postfix_lmtp and postfix_domains; docs/operations.md)"
	@printf '%s\n' "Post to the demo list (each run a new Message-ID; the same bytes twice would be taken for a retry; from an address that is not a member, the post is held for the owner):" \
		"printf 'From: Ann Archer <ann@example.org>\nTo: harbour-dev@lists.example.org\nSubject: Hello\nMessage-ID: <%s@example.org>\n\nHello, list.\n' \"\$$(date +%s.%N)\" | $(SAME_STORE) post harbour-dev@lists.example.org -"
	$(BIN)/listhaven run --host $(HOST) --port $(PORT) --lmtp-host $(HOST) --lmtp-port $(LMTP_PORT)

demo: setup
	$(BIN)/listhaven migrate
	$(BIN)/listhaven demo-import

# Every test, twice: on SQLite, then again on a throwaway PostgreSQL cluster (tests/postgres/suite.py),
# where tests marked sqlite_only(reason=...) are skipped with their reason and the browser tests (which look
# at pages, rendered alike from either database) are left to the SQLite run. Browser tests need Debian's
# chromium and the second run PostgreSQL's server: both installed here when missing and we are root.
# TEST_WORKERS: pytest-xdist processes for each run (one per core of the 2-core machines it is measured on);
# each test file runs whole on one of them (--dist loadfile), so module fixtures are built once. 0: one process.
TEST_WORKERS ?= 2
TEST_PARALLEL = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
test: setup browser-deps postgres-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(TEST_PARALLEL) $(PYTEST_ARGS)
	$(BIN)/python -m tests.postgres.suite $(TEST_PARALLEL) $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/python -m pytest -q -m "not browser and not slow" $(PYTEST_ARGS)

browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian chromium for the browser tests"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "!!! could not install chromium: browser tests will be SKIPPED"; \
		else \
			echo "!!! chromium is missing and we are not root: browser tests will be SKIPPED"; \
		fi; \
	fi

postgres-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian postgresql for the PostgreSQL test run"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
			|| echo "!!! could not install postgresql: the PostgreSQL run of make test will fail"; \
		else \
			echo "!!! PostgreSQL is missing and we are not root: install postgresql, or LISTHAVEN_TEST_POSTGRES=skip"; \
		fi; \
	fi

bench: setup bench-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# wrk (Debian) for the pages' requests/s: installed here when missing and we are root.
bench-deps:
	@if ! command -v wrk >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian wrk for the page benchmarks"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
			|| echo "!!! could not install wrk: requests/s will be SKIPPED"; \
		else \
			echo "!!! wrk is missing and we are not root: requests/s will be SKIPPED"; \
		fi; \
	fi

# Parser fuzzing: hypothesis's long profile (20,000 examples for each of the three generators: header
# soups, arbitrary bytes, mutated MIME), then atheris (coverage-guided libFuzzer, FUZZ_RUNS inputs, each
# parsed and its body rendered) when it installs on this Python. Any crash or hang fails the target.
FUZZ_RUNS ?= 300000
fuzz: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/mail/test_fuzz.py --hypothesis-profile=long --hypothesis-show-statistics
	@if $(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/pip install -q atheris; then \
		$(BIN)/python tests/reliability/fuzz_parser.py -runs=$(FUZZ_RUNS) -timeout=10 -max_len=20000 -print_final_stats=1; \
	else \
		echo "!!! atheris does not install on this Python: coverage-guided fuzzing skipped (the hypothesis run above stands)"; \
	fi

# The long forms of the tests (marked slow): kill -9 soak of a 20,000-message import, readers during a long
# import, the hostile set on every page, feed and API document. Figures print at the end.
soak: setup browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -m slow $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/listhaven/mail src/listhaven/lists/tokens.py src/listhaven/demo/messages.py \
		src/listhaven/demo/engine.py src/listhaven/demo/mime_shapes.py src/listhaven/demo/words.py tests/support/hostile.py

lock:
	$(BIN)/pip freeze --exclude-editable | sed '1i # Pinned versions of every dependency (runtime, tests, tools). Regenerate with: make lock' > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
