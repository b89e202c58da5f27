#!/usr/bin/env bash
# bench/https.sh: the mock's HTTPS listener (443, journal on) beside a bare Go net/http TLS
# server with the same certificate and the same answer (bench/cmd/bareweb copies it), under wrk
# from a separate process: 64 connections, keep-alive and then new connections
# (Connection: close, one TLS handshake per request). Prints req/s of both and mock/bare.
# ROUNDS=N repeats each pair, bare first in odd rounds and the mock first in even ones, so a
# change in the machine's background load shows as spread instead of bias.
# Both sides speak the same TLS: the bare server is held to the version, suite and curve the
# mock's wire profile negotiates with OpenSSL (the default profile: TLS 1.2,
# TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, P-256, no session tickets), and the script checks it.
# BARE_TLS=go-default leaves the bare server at Go's defaults (TLS 1.3 AES-GCM): not like with like.
#   DUR=10 CONNS=64 THREADS=2 ROUNDS=1 MODES="keep-alive new-connections" bench/https.sh
. "$(dirname "$0")/lib.sh"
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-1}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
build bareweb
start_mock
MOCK_URL=https://$MOCK_IP:$((443 + OFF))/.well-known/mockdirector
MOCK_TLS=$(openssl_tls "$MOCK_IP:$((443 + OFF))")
# shellcheck disable=SC2046 # the flags split into words
start_bare bareweb -addr "$BARE_IP:0" -cert "$CERT" -key "$KEY" -like "$MOCK_URL" $(bare_tls_flags $MOCK_TLS)
BARE_URL=https://$BARE_ADDR/.well-known/mockdirector
BARE_TLS_SEEN=$(openssl_tls "$BARE_ADDR")
if [ "${BARE_TLS:-same}" = same ] && [ "$MOCK_TLS" != "$BARE_TLS_SEEN" ]; then
	echo "bench: the mock negotiates $MOCK_TLS but the bare server $BARE_TLS_SEEN: not like with like" >&2
	exit 1
fi

# rps PID URL [wrk args]: "REQ/S CPU-US/REQ" of one wrk run against the server PID (non-2xx or
# socket errors noted).
rps() {
	local pid=$1 url=$2 out t0 r
	shift 2
	t0=$(cpu_ticks "$pid")
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" "$@" "$url")
	echo "$out" >>"$WORK/wrk.log"
	if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
		echo "bench: wrk $url: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2
	fi
	r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	echo "$r $(us_per "$r" "$DUR" $(($(cpu_ticks "$pid") - t0)))"
}

note_machine
echo "# TLS with OpenSSL's offer: mock $MOCK_TLS | bare $BARE_TLS_SEEN"
printf "%-22s %12s %12s %10s %22s\n" "HTTPS (wrk -c$CONNS)" "bare req/s" "mock req/s" "mock/bare" "CPU us/req bare|mock"
for mode in ${MODES:-keep-alive new-connections}; do
	args=()
	[ "$mode" = new-connections ] && args=(-H "Connection: close")
	ratios=() cpus=()
	for round in $(seq "$ROUNDS"); do
		before=$(journal_lines)
		if [ $((round % 2)) = 1 ]; then
			read -r b bc < <(rps "$BARE_PID" "$BARE_URL" "${args[@]}")
			read -r m mc < <(rps "$MOCK_PID" "$MOCK_URL" "${args[@]}")
		else
			read -r m mc < <(rps "$MOCK_PID" "$MOCK_URL" "${args[@]}")
			read -r b bc < <(rps "$BARE_PID" "$BARE_URL" "${args[@]}")
		fi
		journaled=$(($(journal_lines) - before))
		printf "%-22s %12.0f %12.0f %10s %22s   (mock journaled %d lines)\n" "$mode" "$b" "$m" "$(ratio "$m" "$b")" "$bc|$mc" "$journaled"
		ratios+=("$(ratio "$m" "$b")")
		cpus+=("$(ratio "$bc" "$mc")")
	done
	echo "$mode mock/bare req/s: $(spread "${ratios[@]}"); bare/mock CPU per request: $(spread "${cpus[@]}")"
done
echo "target: mock/bare >= 0.95 (issue 12)"
