# mockdirector. `make test` is what CI runs (via .ci/run); as root it includes the netns lab.
GO      ?= go
BIN     ?= bin/mockdirector
PKGS    ?= ./...
# Go test flags; the whole suite must stay well under 15 minutes on 2 cores.
TESTFLAGS ?= -count=1 -timeout 14m

.PHONY: build test unit e2e fleet-e2e run lab lint bench fuzz clean windows release-snapshot

build:
	$(GO) build -o $(BIN) ./cmd/mockdirector

# Unit and integration suites (real sockets on loopback), then the netns lab and the Ansible
# fleet (./deploy, what fleet-e2e runs) when root: both are in $(PKGS) and skip otherwise.
test: lint
	$(GO) test $(TESTFLAGS) $(PKGS)

unit:
	$(GO) test $(TESTFLAGS) $$($(GO) list ./... | grep -v -e /lab -e /deploy -e /internal/netlab)

# End-to-end firewall lab in network namespaces (root only; skips with a message otherwise).
e2e: build
	$(GO) test $(TESTFLAGS) -v ./lab/... -ginkgo.v

# The Ansible fleet (deploy/ansible) over SSH to network-namespace hosts (root only; skips with a
# message otherwise; the syntax check and ansible-lint run either way).
fleet-e2e: build
	$(GO) test $(TESTFLAGS) -v ./deploy/... -ginkgo.v

# The main job: as root every row of the table in network namespaces behind the exported
# firewall; otherwise the loopback lab (allow rows only). The matrix is printed.
run lab:
	$(GO) run ./cmd/mockdirector lab

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on: $$out"; exit 1; fi
	$(GO) vet ./...

# Every fuzz target (func FuzzXxx in any *_test.go) for FUZZTIME each: what CI runs to keep
# the loaders and parsers fuzzed. Their seed corpora and testdata/fuzz regressions also run as
# ordinary tests in `make test`. For a long run: make fuzz FUZZTIME=10m FUZZ=FuzzParse
# FUZZMIN caps the minimizing of each new interesting input: Go's default (60 s) lets one
# input of the PEM/PFX targets take a whole short run.
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" when
# -fuzztime ends (go.dev/issue/75804, fixed in Go 1.27): that, and only that, with no failing
# input written, is reported as a warning; a crash or hang always writes its input and fails.
FUZZTIME ?= 10s
FUZZMIN  ?= 2s
FUZZ     ?= .
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do \
	  pkg=./$$(dirname "$${f#./}"); \
	  for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f" | grep -- '$(FUZZ)'); do \
	    echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
	    if ! $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) "$$pkg" >"$$log" 2>&1; then \
	      cat "$$log"; \
	      if grep -q 'Failing input written' "$$log" || ! grep -q '^    context deadline exceeded$$' "$$log"; then exit 1; fi; \
	      echo "warning: $$fn: Go's fuzz deadline race (go.dev/issue/75804), no failing input: not a finding"; \
	    else tail -1 "$$log"; fi; \
	  done; \
	done

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
