# mockdirector. `make test` is what CI runs (via .ci/run); as root it includes the netns lab.
GO      ?= go
BIN     ?= bin/mockdirector
PKGS    ?= ./...
# Go test flags; the whole suite must stay well under 15 minutes on 2 cores.
TESTFLAGS ?= -count=1 -timeout 14m

.PHONY: build test unit e2e fleet-e2e run lab lint bench clean

build:
	$(GO) build -o $(BIN) ./cmd/mockdirector

# Unit and integration suites (real sockets on loopback), then the netns lab and the Ansible
# fleet (./deploy, what fleet-e2e runs) when root: both are in $(PKGS) and skip otherwise.
test: lint
	$(GO) test $(TESTFLAGS) $(PKGS)

unit:
	$(GO) test $(TESTFLAGS) $$($(GO) list ./... | grep -v /lab)

# End-to-end firewall lab in network namespaces (root only; skips with a message otherwise).
e2e: build
	$(GO) test $(TESTFLAGS) -v ./lab/... -ginkgo.v

# The Ansible fleet (deploy/ansible) over SSH to network-namespace hosts (root only; skips with a
# message otherwise; the syntax check and ansible-lint run either way).
fleet-e2e: build
	$(GO) test $(TESTFLAGS) -v ./deploy/... -ginkgo.v

# The main job: a self-contained loopback lab probed by the seed table, matrix printed.
run lab:
	$(GO) run ./cmd/mockdirector lab

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on: $$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3s ./bench/...

clean:
	rm -rf bin
