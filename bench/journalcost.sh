#!/usr/bin/env bash
# bench/journalcost.sh: what the journal costs under user-like load. The mock as serve runs it
# (bench/cmd/mockprof) with its journal file, and the same with no journal, under wrk keep-alive
# at 64 connections on 443 and SIP OPTIONS over MTLS at 32 connections on 5061, alternated.
#   DUR=10 ROUNDS=1 bench/journalcost.sh
. "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-1}
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
build mockprof sipload

# run NAME [mockprof flags]: starts mockprof, loads it (HTTPS then SIP), prints "https-rps sip-rps".
run() {
	local name=$1 pid h s t0 t1 t2
	shift
	"$BIN/mockprof" -bind "$MOCK_IP" -port-offset "$OFF" -certs "$WORK/certs" -journal "$WORK/journal.jsonl" \
		-cpuprofile "$WORK/$name.cpu" "$@" >"$WORK/mockprof.$name.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for "$WORK/mockprof.$name.out" ready
	t0=$(cpu_ticks "$pid")
	h=$(wrk -t2 -c64 -d"${DUR}s" "https://$MOCK_IP:$((443 + OFF))/.well-known/mockdirector" | awk '/^Requests\/sec:/ {print $2}')
	t1=$(cpu_ticks "$pid")
	s=$("$BIN/sipload" -addr "$MOCK_IP:$((5061 + OFF))" -cert "$PCERT" -key "$PKEY" -ca "$CA" -conns 32 -duration "${DUR}s" |
		tr ' ' '\n' | awk -F= '$1 == "rps" {print $2}')
	t2=$(cpu_ticks "$pid")
	kill -TERM "$pid"
	wait "$pid" || true
	echo "$h $s $(us_per "$h" "$DUR" $((t1 - t0))) $(us_per "$s" "$DUR" $((t2 - t1)))"
}

note_machine
printf "%-12s %14s %14s %10s %26s\n" "" "no journal" "journal" "journal/none" "CPU us/req none|journal"
for round in $(seq "$ROUNDS"); do
	read -r nh ns nhc nsc < <(run "none-$round" -no-journal)
	read -r jh js jhc jsc < <(run "file-$round")
	printf "%-12s %14.0f %14.0f %10s %26s\n" "HTTPS k-a" "$nh" "$jh" "$(ratio "$jh" "$nh")" "$nhc|$jhc"
	printf "%-12s %14.0f %14.0f %10s %26s\n" "SIP OPTIONS" "$ns" "$js" "$(ratio "$js" "$ns")" "$nsc|$jsc"
done
