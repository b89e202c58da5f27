# mockdirector. `make test` is what CI runs (via .ci/run); as root it includes the netns lab.
GO      ?= go
BIN     ?= bin/mockdirector
PKGS    ?= ./...
# Go test flags; the whole suite must stay well under 15 minutes on 2 cores.
TESTFLAGS ?= -count=1 -timeout 14m

.PHONY: build test unit e2e run lab lint bench clean windows release-snapshot

build:
	$(GO) build -o $(BIN) ./cmd/mockdirector

# Unit and integration suites (real sockets on loopback), then the netns lab when root.
test: lint
	$(GO) test $(TESTFLAGS) $(PKGS)

unit:
	$(GO) test $(TESTFLAGS) $$($(GO) list ./... | grep -v /lab)

# End-to-end firewall lab in network namespaces (root only; skips with a message otherwise).
e2e: build
	$(GO) test $(TESTFLAGS) -v ./lab/... -ginkgo.v

# The main job: a self-contained loopback lab probed by the seed table, matrix printed.
run lab:
	$(GO) run ./cmd/mockdirector lab

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on: $$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./bench/...

# The Windows build under Wine: lab, certs, serve+probe, Windows' bind errors, and the
# Windows-built tests of the core packages (build/wine/run.sh says which and why).
windows:
	GO=$(GO) build/wine/run.sh

# GoReleaser snapshot: dist/ gets the zip/tar.gz archives and checksums.txt, nothing published.
# SBOMs (SPDX, one per archive) when syft is on PATH; without it they are left out, and said so.
# Tools (Go modules, ~10 min each to build here; not in .ci/run for that reason):
#   go install github.com/goreleaser/goreleaser/v2@v2.15.1
#   go install github.com/anchore/syft/cmd/syft@v1.57.1
GORELEASER ?= $(shell command -v goreleaser || echo $(HOME)/go/bin/goreleaser)
release-snapshot:
	@if command -v syft >/dev/null || [ -x $(HOME)/go/bin/syft ]; then export MOCKDIRECTOR_SBOM=1 PATH="$$PATH:$(HOME)/go/bin"; \
	  else echo "release-snapshot: syft not found: no SBOM (go install github.com/anchore/syft/cmd/syft@v1.57.1)"; fi; \
	  $(GORELEASER) release --snapshot --clean
	cd dist && sha256sum -c checksums.txt

clean:
	rm -rf bin dist
