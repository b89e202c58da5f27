# bench/lib.sh: what the bench scripts share. Source it; it builds mockdirector and the bench
# helpers, makes certificates, and tears everything down on exit. Loopback only: the mock on
# $MOCK_IP, the bare peers on $BARE_IP, load from separate processes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOCK_IP=${MOCK_IP:-127.0.31.1}
BARE_IP=${BARE_IP:-127.0.31.2}
OFF=${OFF:-14000}         # port offset: 443 -> 14443, 5061 -> 19061, 50003 -> 64003
DUR=${DUR:-10}            # seconds per load run
WORK=$(mktemp -d /tmp/mdbench.XXXXXX)
BIN=$WORK/bin
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

build() {
	mkdir -p "$BIN"
	(cd "$ROOT" && go build -o "$BIN/mockdirector" ./cmd/mockdirector)
	for c in "$@"; do (cd "$ROOT" && go build -o "$BIN/$c" "./bench/cmd/$c"); done
	"$BIN/mockdirector" certs init --dir "$WORK/certs" >/dev/null
	CERT=$WORK/certs/dir01.contoso.local.crt
	KEY=$WORK/certs/dir01.contoso.local.key
	CA=$WORK/certs/ca.crt
	PCERT=$WORK/certs/probe.crt
	PKEY=$WORK/certs/probe.key
}

# wait_for FILE WORD: until FILE has a line with WORD (20 s at most).
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: $1 never said $2:" >&2
	cat "$1" >&2
	return 1
}

# start_mock [serve flags...]: mockdirector serve --role director on $MOCK_IP, journal on.
start_mock() {
	"$BIN/mockdirector" serve --role director --bind "$MOCK_IP" --port-offset "$OFF" \
		--journal "$WORK/journal.jsonl" --certs "$WORK/certs" "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
	MOCK_PID=$!
	PIDS+=("$MOCK_PID")
	wait_for "$WORK/serve.out" ready
}

# start_bare NAME ARGS...: a bench helper that prints "ready ADDR"; sets BARE_PID, BARE_ADDR.
start_bare() {
	local name=$1
	shift
	"$BIN/$name" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	BARE_PID=$!
	PIDS+=("$BARE_PID")
	wait_for "$WORK/$name.out" ready
	BARE_ADDR=$(awk '/^ready/ {print $2; exit}' "$WORK/$name.out")
}

# rss_kib PID: resident set size in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

journal_lines() { cat "$WORK"/journal.jsonl* 2>/dev/null | wc -l; }

note_machine() {
	echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (CPU shared: figures are noisy)"
}
