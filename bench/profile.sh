#!/usr/bin/env bash
# bench/profile.sh: where the mock's time goes under the bench loads. Runs the mock as serve
# does (bench/cmd/mockprof, CPU profile on) under wrk at 64 connections on 443 (keep-alive, then
# new connections), then SIP OPTIONS over MTLS at 32 connections on 5061, and prints the top of
# each profile and the cumulative share of the parts that matter (journal, TLS, HTTP, SIP, GC).
#   DUR=10 bench/profile.sh            (KEEP_WORK=1 keeps the profiles in /tmp/mdbench.*)
. "$(dirname "$0")/lib.sh"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
build mockprof sipload

profile() {
	local name=$1
	shift
	"$BIN/mockprof" -bind "$MOCK_IP" -port-offset "$OFF" -certs "$WORK/certs" -journal "$WORK/journal.jsonl" \
		-cpuprofile "$WORK/$name.cpu" >"$WORK/mockprof.$name.out" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	wait_for "$WORK/mockprof.$name.out" ready
	"$@" >>"$WORK/load.$name.log" 2>&1
	kill -TERM "$pid"
	wait "$pid" || true
	echo "== $name: $(grep -hE '^Requests/sec|^requests=' "$WORK/load.$name.log" | tr -s ' '); $(grep -h '^journal:' "$WORK/mockprof.$name.out")"
	go tool pprof -top -nodecount=20 "$BIN/mockprof" "$WORK/$name.cpu" 2>/dev/null | sed -n '5,27p'
	echo "-- cumulative CPU under (share of all samples):"
	go tool pprof -top -cum -nodecount=2000 "$BIN/mockprof" "$WORK/$name.cpu" 2>/dev/null >"$WORK/$name.cum"
	local what
	for what in 'journal\.\(\*Writer\)\.Record$' 'journal\.\(\*Writer\)\.write$' 'journal\.AppendJSON$' 'journal\.\(\*Writer\)\.sync$' \
		'crypto/tls\.\(\*Conn\)\.Read$' 'crypto/tls\.\(\*Conn\)\.Write$' 'crypto/tls\.\(\*Conn\)\.serverHandshake$' \
		'net/http\.\(\*conn\)\.serve$' 'net/http\.\(\*conn\)\.readRequest$' 'net/http\.\(\*response\)\.finishRequest$' \
		'listeners\.\(\*webHandler\)\.ServeHTTP$' 'sipgo/sip\.\(\*TransportLayer\)\.handleMessage$' 'sipgo/sip\.\(\*transportTLS\)|sip\.\(\*TransportTCP\)\.readConnection$' \
		'sipgo/sip\.\(\*serverTx\)\.Respond$' 'listeners\.\(\*sipListener\)\.record$' \
		'runtime\.gcBgMarkWorker$' 'runtime\.mallocgc$' 'runtime\.findRunnable$' 'internal/runtime/syscall/linux\.Syscall6$'; do
		awk -v w="$what" '$6 ~ w { printf "  %8s %7s  %s\n", $4, $5, $6; found = 1; exit } END { if (!found) printf "  %8s %7s  %s\n", "-", "-", w }' "$WORK/$name.cum"
	done
}

note_machine
profile https wrk -t2 -c64 -d"${DUR}s" "https://$MOCK_IP:$((443 + OFF))/.well-known/mockdirector"
profile https-new-connections wrk -t2 -c64 -d"${DUR}s" -H "Connection: close" "https://$MOCK_IP:$((443 + OFF))/.well-known/mockdirector"
profile sip "$BIN/sipload" -addr "$MOCK_IP:$((5061 + OFF))" -cert "$PCERT" -key "$PKEY" -ca "$CA" -conns 32 -duration "${DUR}s"
