# Recovery Desk. `make run` and `make test` are the two commands the README promises.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8787
DEMO_DB ?= target/demo.db
# What scripts/install-deps.sh installs for the project alone (Node.js when the system's is too
# old, actionlint) lives in .tools/, and rustup's cargo in ~/.cargo/bin: both first on PATH.
export PATH := $(CURDIR)/.tools/node/bin:$(CURDIR)/.tools/venv/bin:$(HOME)/.cargo/bin:$(PATH)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
TAURI := TAURI_APP_PATH=src-tauri TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri
# Bundles `make dist` makes on this system (the CLI skips the ones of other systems).
ifeq ($(shell uname -s),Linux)
BUNDLES ?= deb,rpm
else ifeq ($(shell uname -s),Darwin)
BUNDLES ?= app,dmg
else
BUNDLES ?= nsis,msi
endif

.PHONY: test-postgres help deps ui gen build run serve lint test test-rust test-ui test-installed test-install-deps \
	test-contract fuzz dist icons bench bench-console clean tool-versions

help:
	@echo "make run            install what is missing, build, start the demo service and open the console"
	@echo "make test           install what tests need and run every test (Rust, UI, keychain, end to end,"
	@echo "                    the installed .deb, the fresh-machine install, actionlint)"
	@echo "make fuzz           the long schemathesis campaign against the API description (20,000 cases)"
	@echo "make dist           build the release bundles of this system (Linux: .deb and .rpm) into target/dist/bundle"
	@echo "make bench          run the service's benchmarks and print their figures"
	@echo "make bench-console  size, start time and memory of the release console beside Chromium"
	@echo "make gen            regenerate ui/src/lib/contract.ts from crates/desk-api"
	@echo "make icons          regenerate every icon from icons/source/app-icon.svg"

deps:
	@scripts/install-deps.sh

ui: deps
	cd ui && npm run build --silent

gen:
	cargo run -q -p desk-api --bin gen-ts -- ui/src/lib/contract.ts

# The binaries, with src-tauri's command tests in the same cargo run: that turns on tauri's `test`
# feature (a dev-dependency's) exactly as `make test` does, so run and test share one debug build
# of tauri instead of rebuilding it for each.
build: ui
	cargo build --workspace --bins --test commands

# The service on SQLite with demo data, and the console pointed at it.
run: build
	@scripts/run-demo.sh "$(PORT)" "$(DEMO_DB)"

serve: build
	target/debug/desk-server serve --demo --db "$(DEMO_DB)" --bind "127.0.0.1:$(PORT)"

# The gates: rustfmt, clippy with warnings as errors, prettier, eslint, svelte-check, actionlint.
# Clippy compiles the app, whose generate_context! needs ui/dist, so the UI is built first.
lint: ui
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	scripts/unused-deps.py
	cd ui && npm run lint --silent && npm run check --silent
	actionlint

test-ui: deps
	cd ui && npm test --silent

# Every Rust test, including the keychain test on a real Secret Service and the end-to-end tests
# of the real app binary in a real WebKit window (both binaries are built first).
test-rust: ui
	cargo build --workspace --all-targets
	scripts/with-test-session.sh cargo test --workspace --no-fail-fast
	$(MAKE) test-postgres

# The service's tests that use a database, again on PostgreSQL: each test binary starts a
# throw-away server in a temporary folder (as the postgres user when run as root) and each test
# gets a fresh database. (The library's unit tests and the benches' code need no server.)
test-postgres:
	DESK_TEST_DB=postgres cargo test -p desk-server --test api --test failover --test smtp --test smtp_tls \
	  --test export_memory --no-fail-fast

# The release bundles of this system, from a release build without test-only features.
dist: ui
	$(TAURI) build --bundles $(BUNDLES) -- --profile dist
	@# The CLI names files after productName ("Recovery Desk_…"); the package is recovery-desk, and
	@# a file name without a space is what `apt-get install ./recovery-desk_*.deb` and scripts expect.
	@for f in target/dist/bundle/*/"Recovery Desk"*.{deb,rpm}; do \
	  [ -e "$$f" ] && mv -f "$$f" "$$(dirname "$$f")/$$(basename "$$f" | sed 's/^Recovery Desk/recovery-desk/')"; \
	done; true
	@ls -l target/dist/bundle/*/* 2>/dev/null | grep -v '^d' || true

# The .deb installed with apt like an IT department would, checked, and smoke-tested end to end.
test-installed: dist
	scripts/check-deb.sh target/dist/bundle/deb/recovery-desk_$(VERSION)_*.deb
	E2E_APP=/usr/bin/recovery-desk scripts/with-test-session.sh cargo test -p desk-e2e --test smoke

# scripts/install-deps.sh on a fresh user with an empty home and a Node.js 18 as the system's.
test-install-deps:
	scripts/test-install-deps.sh

# The API description is the contract: schemathesis against the real service, as agent and lead.
# (The same build as test-rust's, so that nothing is compiled a second time with other features.)
test-contract: ui
	cargo build --workspace --all-targets
	CONTRACT_SEED=20261127 scripts/contract-test.sh 2000

fuzz: ui
	cargo build --workspace --all-targets
	scripts/contract-test.sh 20000

test: lint test-ui test-rust test-contract test-installed test-install-deps

icons:
	$(TAURI) icon icons/source/app-icon.svg -o icons
	rm -rf icons/android icons/ios

# Figures, not assertions. BENCH_ACCOUNTS (default 10000,1000000; 10000000 for the full run) and
# BENCH_BACKENDS (default sqlite,postgres) choose what the scale table covers.
bench: deps
	cargo bench -p desk-server --bench service
	BENCH_OUT=docs/benchmarks.md cargo bench -p desk-server --bench scale

bench-console: dist
	scripts/bench-console.sh

clean:
	rm -rf target ui/dist

# What the Makefile's PATH finds (scripts/test-install-deps.sh checks it).
tool-versions:
	@echo "node $$(node --version)"; echo "npm $$(npm --version)"; cargo --version
