# SPDX-License-Identifier: GPL-2.0-only
# Shared by the integration tests: assertions that count, the lab, and
# helpers that look at what crosses the wires. Sourced, not run.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export UMBRAL_BIN=${UMBRAL_BIN:-$top/build}
LAB="$top/tests/lab/lab"
UMBRAL="$UMBRAL_BIN/umbral"
# bin/jq: `jq -e` on empty input fails, as it should (Debian's jq 1.6 passes it).
export PATH="$top/tests/integration/bin:$PATH"
WORK=$(mktemp -d /tmp/umbral-test.XXXXXX)
PASS=0
FAIL=0
BG_PIDS=()

pass() { PASS=$((PASS + 1)); echo "ok - $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# check "what a user would observe" command...
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

# Background jobs use "ip netns exec" directly, not nsx: then $! is the command
# itself and a signal reaches it (a function runs in a subshell that holds it).
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Starts a command in the background and remembers its PID for cleanup.
bg() { "$@" & BG_PIDS+=($!); }

finish() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	"$LAB" stop
	# Daemons write sanitizer reports (make check SAN=1) to their logs as they exit.
	if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' /run/umbral-lab/logs/*.log 2>/dev/null; then
		fail "a daemon's log has a sanitizer report (above)"
		grep -hE -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' /run/umbral-lab/logs/*.log | head -60
	fi
	"$LAB" down
	rm -rf "$WORK"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
trap 'fail "interrupted by a signal"; exit 1' INT TERM
# The script's exit status is the verdict (an EXIT trap's own status is not).
trap 'finish || exit 1' EXIT

# wait_for SECONDS command...: retries until the command succeeds or the time is up.
# The deadline is in microseconds: whole SECONDS could give up almost a second early.
wait_for() {
	local end=$(($(now_us) + $1 * 1000000)); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_us)" -ge "$end" ] && return 1
		sleep 0.1
	done
}
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# Pings until one answer comes (the tunnel may still be handshaking).
ping_ok() { nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

# capture NS IF FILE [FILTER...]: starts tcpdump, returns once it is listening.
# A filter keeps tcpdump from copying a stream the test is measuring.
capture() {
	local ns=$1 ifc=$2 file=$3
	shift 3
	# -B: a 32 MiB kernel buffer, so that a fast stream is not dropped by the capture.
	ip netns exec "$ns" tcpdump -i "$ifc" -s 0 -B 32768 -U --immediate-mode -w "$file" "$@" >"$file.log" 2>&1 &
	BG_PIDS+=($!)
	wait_for 5 grep -q "listening on" "$file.log" && return 0
	fail "capture on $ns $ifc did not start ($(head -c 200 "$file.log"))"
	return 1
}
# Stops every capture started so far and lets them flush.
stop_captures() {
	local p
	sleep 0.5
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	BG_PIDS=()
}
# Number of packets in FILE matching the pcap FILTER; "unreadable" (no number,
# so a numeric check on it fails) when tcpdump cannot read the file.
count_packets() {
	local out
	out=$(tcpdump -nn -r "$1" "$2" 2>/dev/null) || { echo unreadable; return; }
	if [ -z "$out" ]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}
# Whether FILE's raw bytes contain PATTERN.
has_bytes() { grep -aqF "$2" "$1"; }

# expect_rc CODE WHAT command...: the command exits CODE (stdout/stderr in $WORK/out)
expect_rc() {
	local want=$1 what=$2 rc; shift 2
	"$@" >"$WORK/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then pass "$what (exit $rc)"; else fail "$what: exit $rc, wanted $want"; sed 's/^/    /' "$WORK/out"; fi
}
# has PATTERN: the output of the last expect_rc matches
has() { grep -q -- "$1" "$WORK/out"; }
# jqe FILTER [FILE]: jq -e, quietly
jqe() { jq -e "$@" >/dev/null; }
# A fresh WireGuard public key.
newkey() { wg genkey | wg pubkey; }

# The nftables ruleset of a namespace with counter values zeroed.
ruleset() {
	nsx "$1" nft -j list ruleset | sed -E 's/"packets": ?[0-9]+/"packets":0/g; s/"bytes": ?[0-9]+/"bytes":0/g'
}
