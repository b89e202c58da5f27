#!/usr/bin/env bash
# bench/https.sh: the mock's HTTPS listener (443, journal on) beside a bare Go net/http TLS
# server with the same certificate and the same answer (bench/cmd/bareweb copies it), under wrk
# from a separate process: 64 connections, keep-alive and then new connections
# (Connection: close, one TLS handshake per request). Prints req/s of both and mock/bare.
# ROUNDS=N repeats each pair, bare first in odd rounds and the mock first in even ones, so a
# change in the machine's background load shows as spread instead of bias.
#   DUR=10 CONNS=64 THREADS=2 ROUNDS=1 bench/https.sh
. "$(dirname "$0")/lib.sh"
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-1}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
build bareweb
start_mock
MOCK_URL=https://$MOCK_IP:$((443 + OFF))/.well-known/mockdirector
start_bare bareweb -addr "$BARE_IP:0" -cert "$CERT" -key "$KEY" -like "$MOCK_URL"
BARE_URL=https://$BARE_ADDR/.well-known/mockdirector

# rps URL [wrk args]: requests per second of one wrk run (non-2xx or socket errors noted).
rps() {
	local url=$1 out
	shift
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" "$@" "$url")
	echo "$out" >>"$WORK/wrk.log"
	if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
		echo "bench: wrk $url: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
	fi
	awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

note_machine
printf "%-22s %12s %12s %10s\n" "HTTPS (wrk -c$CONNS)" "bare req/s" "mock req/s" "mock/bare"
for mode in keep-alive new-connections; do
	args=()
	[ "$mode" = new-connections ] && args=(-H "Connection: close")
	for round in $(seq "$ROUNDS"); do
		before=$(journal_lines)
		if [ $((round % 2)) = 1 ]; then
			b=$(rps "$BARE_URL" "${args[@]}")
			m=$(rps "$MOCK_URL" "${args[@]}")
		else
			m=$(rps "$MOCK_URL" "${args[@]}")
			b=$(rps "$BARE_URL" "${args[@]}")
		fi
		journaled=$(($(journal_lines) - before))
		printf "%-22s %12.0f %12.0f %10s   (mock journaled %d lines)\n" "$mode" "$b" "$m" "$(ratio "$m" "$b")" "$journaled"
	done
done
echo "target: mock/bare >= 0.95 (issue 12)"
