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
	# The Edge's certificate: a Director's 5061 refuses client certificates that name no
	# server of the topology (known-server MTLS), as Lync does.
	PCERT=$WORK/certs/edge01-int.contoso.local.crt
	PKEY=$WORK/certs/edge01-int.contoso.local.key
}

# wait_for FILE WORD [SECONDS]: until FILE has a line with WORD (20 s at most by default).
wait_for() {
	for _ in $(seq $((${3:-20} * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: $1 never said $2:" >&2
	cat "$1" >&2
	return 1
}

# start_mock [serve flags...]: mockdirector serve --role director on $MOCK_IP, journal on.
# MOCK_ENV="GOGC=400 ..." is the environment of the mock alone (the bare peers keep theirs);
# MOCK_FLAGS="--journal-mapped ..." more serve flags.
start_mock() {
	# shellcheck disable=SC2086 # MOCK_ENV splits into assignments, MOCK_FLAGS into flags
	env ${MOCK_ENV:-} "$BIN/mockdirector" serve --role director --bind "$MOCK_IP" --port-offset "$OFF" \
		--journal "$WORK/journal.jsonl" --certs "$WORK/certs" ${MOCK_FLAGS:-} "$@" >"$WORK/serve.out" 2>"$WORK/serve.err" &
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

# openssl_tls HOST:PORT [s_client args]: "PROTOCOL SUITE CURVE" the server negotiates with
# OpenSSL's default offer (what wrk, linked to the same libssl, offers), the suite by its IANA
# (and Go) name, e.g. "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 P256".
openssl_tls() {
	local addr=$1 out proto suite curve
	shift
	out=$(openssl s_client -connect "$addr" "$@" </dev/null 2>/dev/null || true)
	proto=$(awk '/^ *Protocol *:/ {print $3; exit}' <<<"$out")
	suite=$(awk '/^ *Cipher *:/ {print $3; exit}' <<<"$out")
	curve=$(awk -F'[ ,]+' '/^Server Temp Key:/ {print ($4 == "ECDH" ? $5 : $4); exit}' <<<"$out")
	[ -n "$proto" ] && [ -n "$suite" ] || { echo "bench: no TLS handshake with $addr" >&2; return 1; }
	case $suite in TLS_*) ;; *) suite=$(openssl ciphers -stdname "$suite" | awk -v s="$suite" '$3 == s {print $1; exit}') ;; esac
	case $curve in prime256v1) curve=P256 ;; secp384r1) curve=P384 ;; secp521r1) curve=P521 ;; "") curve=none ;; esac
	echo "$proto $suite $curve"
}

# bare_tls_flags PROTOCOL SUITE CURVE: the bare peer's flags for the same TLS as the mock's
# (TLS 1.2 with that one suite and curve, no session tickets, as the default wire profile);
# none (Go's defaults) when the mock speaks TLS 1.3 or BARE_TLS=go-default asks for them.
bare_tls_flags() {
	case $1 in TLSv1.2 | TLS1.2) ;; *) return 0 ;; esac
	if [ "${BARE_TLS:-same}" = same ]; then
		echo "-tls12-suite $2 -curve $3"
	fi
}

# spread NUMBERS...: "median M (range LO-HI, n=N)" of the ratios of several rounds.
spread() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median %.2f (range %.2f-%.2f, n=%d)", m, v[1], v[NR], NR }'
}

# cpu_ticks PID: user+system CPU time of PID in clock ticks (1/100 s).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# us_per REQ_PER_S DUR TICKS: CPU microseconds per request (the server's user+system time over
# the requests it answered): on a shared machine a steadier figure than req/s, since a server
# starved of CPU answers fewer requests but spends the same per request.
us_per() { awk -v r="$1" -v d="$2" -v t="$3" 'BEGIN { if (r > 0) printf "%.1f", t * 10000 / (r * d); else print "n/a" }'; }

# rss_kib PID: resident set size in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

journal_lines() { cat "$WORK"/journal.jsonl* 2>/dev/null | wc -l; }

note_machine() {
	echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (CPU shared: figures are noisy)"
	echo "# the mock: serve ${MOCK_FLAGS:-(default flags)}${MOCK_ENV:+, environment $MOCK_ENV}"
}
