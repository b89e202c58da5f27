#!/usr/bin/env bash
# bench/sip.sh: SIP OPTIONS over mutual TLS at 32 connections (bench/cmd/sipload, a separate
# process) against the mock's 5061 listener (journal on) and a bare sipgo server with the same
# certificates and the same answer headers (bench/cmd/baresip). Prints OPTIONS/s and mock/bare.
# ROUNDS=N repeats the pair, bare first in odd rounds and the mock first in even ones.
#   DUR=10 CONNS=32 ROUNDS=1 bench/sip.sh
. "$(dirname "$0")/lib.sh"
CONNS=${CONNS:-32}
ROUNDS=${ROUNDS:-1}
build baresip sipload
start_mock
MOCK_ADDR=$MOCK_IP:$((5061 + OFF))
start_bare baresip -addr "$BARE_IP:0" -cert "$CERT" -key "$KEY" -ca "$CA"

load() {
	local out
	out=$("$BIN/sipload" -addr "$1" -cert "$PCERT" -key "$PKEY" -ca "$CA" -conns "$CONNS" -duration "${DUR}s")
	echo "$1 $out" >>"$WORK/sipload.log"
	echo "$out"
}
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

note_machine
printf "%-22s %12s %12s %10s %24s\n" "SIP OPTIONS (-c$CONNS)" "bare req/s" "mock req/s" "mock/bare" "p50/p99 ms bare | mock"
for round in $(seq "$ROUNDS"); do
	before=$(journal_lines)
	if [ $((round % 2)) = 1 ]; then
		b=$(load "$BARE_ADDR")
		m=$(load "$MOCK_ADDR")
	else
		m=$(load "$MOCK_ADDR")
		b=$(load "$BARE_ADDR")
	fi
	journaled=$(($(journal_lines) - before))
	printf "%-22s %12s %12s %10s %24s   (mock journaled %d lines)\n" "keep-alive MTLS" "$(field "$b" rps)" "$(field "$m" rps)" \
		"$(ratio "$(field "$m" rps)" "$(field "$b" rps)")" \
		"$(field "$b" p50_ms)/$(field "$b" p99_ms) | $(field "$m" p50_ms)/$(field "$m" p99_ms)" "$journaled"
done
echo "target: mock/bare >= 0.95 (issue 12)"
