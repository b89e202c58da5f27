#!/usr/bin/env bash
# bench/idle.sh: memory per idle mutual-TLS connection. N (default 10,000) connections finish
# their handshake on the mock's SIP 5061 listener and stay idle (bench/cmd/idleconns, from 20
# loopback source addresses); the same against a bare sipgo server. RSS of the server before,
# with them open (2 s after the last handshake, and again once settled: SETTLE seconds later,
# default 10, what the server holds for as long as they stay idle) and 5 s after they closed
# (is memory given back?). The target is judged on the settled figure.
#   N=10000 bench/idle.sh
. "$(dirname "$0")/lib.sh"
N=${N:-10000}
SETTLE=${SETTLE:-10}
ulimit -n "$(ulimit -Hn)"  # each side needs N descriptors and some
build baresip idleconns
start_mock
MOCK_ADDR=$MOCK_IP:$((5061 + OFF))
start_bare baresip -addr "$BARE_IP:0" -cert "$CERT" -key "$KEY" -ca "$CA"

# measure PID ADDR: prints "before open settled after-close failed" (KiB x4, count).
measure() {
	local pid=$1 addr=$2 before open settled closed fifo out
	sleep 1
	before=$(rss_kib "$pid")
	fifo=$WORK/hold.$pid
	mkfifo "$fifo"
	"$BIN/idleconns" -addr "$addr" -cert "$PCERT" -key "$PKEY" -ca "$CA" -n "$N" -hold 120s <"$fifo" >"$WORK/idle.$pid.out" 2>"$WORK/idle.$pid.err" &
	local cpid=$!
	exec 9>"$fifo"
	# 10,000 RSA handshakes take a minute or two on two shared cores.
	wait_for "$WORK/idle.$pid.out" '^open' 600 >/dev/null
	sleep 2
	open=$(rss_kib "$pid")
	sleep "$SETTLE"
	settled=$(rss_kib "$pid")
	exec 9>&-
	wait "$cpid" || true
	sleep 5
	closed=$(rss_kib "$pid")
	out=$(awk '/^open/ {print $4}' "$WORK/idle.$pid.out")
	echo "$before $open $settled $closed $out"
}

note_machine
read -r mb mo ms mc mf < <(measure "$MOCK_PID" "$MOCK_ADDR")
read -r bb bo bs bc bf < <(measure "$BARE_PID" "$BARE_ADDR")
per() { awk -v a="$1" -v b="$2" -v n="$N" -v f="$3" 'BEGIN { printf "%.1f", (b - a) / (n - f) }'; }
printf "%-18s %10s %10s %10s %10s %14s %8s\n" "idle MTLS x$N" "RSS before" "RSS open" "settled" "RSS after" "KiB/conn 2s|set" "failed"
printf "%-18s %9dK %9dK %9dK %9dK %14s %8d\n" "mock (SIP 5061)" "$mb" "$mo" "$ms" "$mc" "$(per "$mb" "$mo" "$mf")|$(per "$mb" "$ms" "$mf")" "$mf"
printf "%-18s %9dK %9dK %9dK %9dK %14s %8d\n" "bare sipgo" "$bb" "$bo" "$bs" "$bc" "$(per "$bb" "$bo" "$bf")|$(per "$bb" "$bs" "$bf")" "$bf"
echo "mock/bare per connection, settled: $(ratio "$(per "$mb" "$ms" "$mf")" "$(per "$bb" "$bs" "$bf")"); target: <= 30 KiB per idle MTLS connection, settled (issue 12)"
