# onramp: every target a developer or CI needs. `make test` is what CI runs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

BUF := tools/node_modules/.bin/buf
CARGO ?= cargo

.PHONY: tools
tools: $(BUF)

# buf comes from the npm registry at the version pinned in tools/package.json.
$(BUF): tools/package.json
	cd tools && npm install --no-audit --no-fund --silent
	touch $(BUF)

.PHONY: proto-lint
proto-lint: $(BUF)
	$(BUF) lint
	$(BUF) format --diff --exit-code

.PHONY: proto-format
proto-format: $(BUF)
	$(BUF) format -w

.PHONY: fmt-check
fmt-check:
	$(CARGO) fmt --all -- --check

.PHONY: clippy
clippy:
	$(CARGO) clippy --all-targets --locked -- -D warnings

.PHONY: rust-test
rust-test:
	$(CARGO) test --all-targets --locked

.PHONY: serve
serve:
	$(CARGO) run --release --locked -- serve

.PHONY: test
test: fmt-check proto-lint clippy rust-test
