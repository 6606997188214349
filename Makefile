# Recovery Desk. `make run` and `make test` are the two commands the README promises.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8787
DEMO_DB ?= target/demo.db

.PHONY: help deps ui gen build run serve lint test test-rust test-ui test-contract fuzz bench clean

help:
	@echo "make run    install what is missing, build, start the demo service and open the console"
	@echo "make test   install what tests need and run every test (Rust, UI, keychain, end to end)"
	@echo "make fuzz   the long schemathesis campaign against the API description (20,000 cases)"
	@echo "make bench  run the benchmarks and print their figures"
	@echo "make gen    regenerate ui/src/lib/contract.ts from crates/desk-api"

deps:
	@scripts/install-deps.sh

ui: deps
	cd ui && npm run build --silent

gen:
	cargo run -q -p desk-api --bin gen-ts -- ui/src/lib/contract.ts

build: ui
	cargo build --workspace --bins

# The service on SQLite with demo data, and the console pointed at it.
run: build
	@scripts/run-demo.sh "$(PORT)" "$(DEMO_DB)"

serve: build
	target/debug/desk-server serve --demo --db "$(DEMO_DB)" --bind "127.0.0.1:$(PORT)"

# The gates: rustfmt, clippy with warnings as errors, prettier, eslint and svelte-check. Clippy
# compiles the app, whose generate_context! needs ui/dist, so the UI is built first.
lint: ui
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cd ui && npm run lint --silent && npm run check --silent

test-ui: deps
	cd ui && npm test --silent

# Every Rust test, including the keychain test on a real Secret Service and the end-to-end test
# of the real app binary in a real WebKit window (both binaries are built first).
test-rust: ui
	cargo build --workspace --all-targets
	scripts/with-test-session.sh cargo test --workspace --no-fail-fast

# The API description is the contract: schemathesis against the real service, as agent and lead.
# (The same build as test-rust's, so that nothing is compiled a second time with other features.)
test-contract: ui
	cargo build --workspace --all-targets
	CONTRACT_SEED=20261127 scripts/contract-test.sh 2000

fuzz: ui
	cargo build --workspace --all-targets
	scripts/contract-test.sh 20000

test: lint test-ui test-rust test-contract

bench: deps
	cargo bench -p desk-server --bench service

clean:
	rm -rf target ui/dist
