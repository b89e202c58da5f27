#!/usr/bin/env bash
# bench/sip.sh: SIP OPTIONS over mutual TLS at 32 connections (bench/cmd/sipload, a separate
# process) against the mock's 5061 listener (journal on) and a bare sipgo server with the same
# certificates and the same answer headers (bench/cmd/baresip). Prints OPTIONS/s and mock/bare.
# ROUNDS=N repeats the pair, bare first in odd rounds and the mock first in even ones.
# Both sides speak the same TLS: the bare server is held to the version and suite the mock's wire
# profile negotiates with sipload (Go's client offer; the default profile picks TLS 1.2,
# TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, P-256, no session tickets), and every round checks it.
# BARE_TLS=go-default leaves the bare server at Go's defaults (TLS 1.3 AES-GCM): not like with like.
#   DUR=10 CONNS=32 ROUNDS=1 bench/sip.sh
. "$(dirname "$0")/lib.sh"
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-1}
build baresip sipload
start_mock
MOCK_ADDR=$MOCK_IP:$((5061 + OFF))

field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
# What the mock negotiates with sipload (suite) and OpenSSL (curve: both offer P-256, the
# profile's first curve).
probe=$("$BIN/sipload" -addr "$MOCK_ADDR" -cert "$PCERT" -key "$PKEY" -ca "$CA" -conns 1 -duration 100ms)
MOCK_TLS=$(field "$probe" tls)
read -r _ _ MOCK_CURVE < <(openssl_tls "$MOCK_ADDR" -cert "$PCERT" -key "$PKEY")
# shellcheck disable=SC2046 # the flags split into words
start_bare baresip -addr "$BARE_IP:0" -cert "$CERT" -key "$KEY" -ca "$CA" $(bare_tls_flags "${MOCK_TLS%%/*}" "${MOCK_TLS#*/}" "$MOCK_CURVE")

# load ADDR PID: sipload's figures against the server PID, and its CPU per request (cpu_us=).
load() {
	local out t0
	t0=$(cpu_ticks "$2")
	out=$("$BIN/sipload" -addr "$1" -cert "$PCERT" -key "$PKEY" -ca "$CA" -conns "$CONNS" -duration "${DUR}s")
	out="$out cpu_us=$(us_per "$(field "$out" rps)" "$DUR" $(($(cpu_ticks "$2") - t0)))"
	echo "$1 $out" >>"$WORK/sipload.log"
	echo "$out"
}

note_machine
echo "# TLS with sipload's (Go's) offer: mock $MOCK_TLS $MOCK_CURVE | bare $(grep -h 'TLS' "$WORK/baresip.err" | head -1)"
printf "%-22s %12s %12s %10s %24s %22s\n" "SIP OPTIONS (-c$CONNS)" "bare req/s" "mock req/s" "mock/bare" "p50/p99 ms bare | mock" "CPU us/req bare|mock"
ratios=() cpus=()
for round in $(seq "$ROUNDS"); do
	before=$(journal_lines)
	if [ $((round % 2)) = 1 ]; then
		b=$(load "$BARE_ADDR" "$BARE_PID")
		m=$(load "$MOCK_ADDR" "$MOCK_PID")
	else
		m=$(load "$MOCK_ADDR" "$MOCK_PID")
		b=$(load "$BARE_ADDR" "$BARE_PID")
	fi
	journaled=$(($(journal_lines) - before))
	if [ "${BARE_TLS:-same}" = same ] && [ "$(field "$m" tls)" != "$(field "$b" tls)" ]; then
		echo "bench: the mock negotiated $(field "$m" tls), the bare server $(field "$b" tls): not like with like" >&2
		exit 1
	fi
	ratios+=("$(ratio "$(field "$m" rps)" "$(field "$b" rps)")")
	printf "%-22s %12s %12s %10s %24s %22s   (mock journaled %d lines)\n" "keep-alive MTLS" "$(field "$b" rps)" "$(field "$m" rps)" \
		"$(ratio "$(field "$m" rps)" "$(field "$b" rps)")" \
		"$(field "$b" p50_ms)/$(field "$b" p99_ms) | $(field "$m" p50_ms)/$(field "$m" p99_ms)" "$(field "$b" cpu_us)|$(field "$m" cpu_us)" "$journaled"
	cpus+=("$(ratio "$(field "$b" cpu_us)" "$(field "$m" cpu_us)")")
done
echo "mock/bare req/s: $(spread "${ratios[@]}"); bare/mock CPU per request: $(spread "${cpus[@]}")"
echo "target: mock/bare >= 0.95 (issue 12)"
