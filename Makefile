# flowlog — make targets. `make test` runs every test; `make demo` runs
# flowlog on the bundled sample capture. Both install what they need on a
# fresh Debian machine (apt-get for libpcap-dev, go modules).

GO      ?= go
SHARED  ?= ../shared
BIN     := bin/flowlog
BENCHDIR ?= $(HOME)/.cache/flowlog-bench
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build demo test parity bench pgo fuzz vet clean

all: build

# deps installs the C library the BPF compiler links against and downloads Go modules.
deps:
	@if ! [ -f /usr/include/pcap/pcap.h ] && ! [ -f /usr/include/pcap.h ]; then \
		echo "installing libpcap-dev (apt-get)"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev >/dev/null; \
	fi
	$(GO) mod download

build: deps
	$(GO) build -o $(BIN) ./cmd/flowlog

demo: build
	@mkdir -p out/demo
	./$(BIN) -r testdata/pcaps/sample.pcap -o out/demo --seed 1
	@echo "== out/demo/conn.log =="
	@cat out/demo/conn.log

vet: deps
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: build vet
	$(GO) test -count=1 ./... ./testdata/gen
	@$(MAKE) --no-print-directory parity

# parity scores conn.log against real Zeek's on the public corpus.
parity: build
	@if [ ! -d $(SHARED)/zeek-parity ]; then \
		echo "parity: SKIPPED: $(SHARED)/zeek-parity not found (the Zeek parity corpus lives beside the repo)"; \
	else \
		echo "== Zeek parity, strict (every history letter, incl. analyzer-limit x/X)"; \
		python3 scripts/parity/parity.py --shared $(SHARED) --bin ./$(BIN) --summary-only || exit 1; \
		echo "== Zeek parity, history letters x/X ignored (compare.py --history-ignore xX): gate 97%"; \
		python3 scripts/parity/parity.py --shared $(SHARED) --bin ./$(BIN) --min 0.97 -- --history-ignore xX || exit 1; \
		echo "== Zeek parity with --writer json (Zeek JSON lines), x/X ignored"; \
		python3 scripts/parity/parity.py --shared $(SHARED) --bin ./$(BIN) --writer json --summary-only --min 0.97 -- --history-ignore xX; \
	fi

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@BENCHDIR=$(BENCHDIR) SHARED=$(SHARED) BIN=./$(BIN) bash scripts/bench.sh

# pgo: regenerate cmd/flowlog/default.pgo (profile-guided optimization) from
# runs on the benchmark captures; needs make bench's cached pcaps.
pgo: build
	@BENCHDIR=$(BENCHDIR) BIN=./$(BIN) bash scripts/pgo.sh

fuzz: deps
	@for t in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/func //' | sort -u); do \
		pkg=$$(grep -rlE "^func $$t\(" --include='*_test.go' . | head -1 | xargs dirname); \
		echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	done

clean:
	rm -rf bin out
