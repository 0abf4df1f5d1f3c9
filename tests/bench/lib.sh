# SPDX-License-Identifier: GPL-2.0-only
# Shared by the benchmarks: medians, the results file, cleanup. Sourced.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export UMBRAL_BIN=${UMBRAL_BIN:-$top/build}
LAB="$top/tests/lab/lab"
BENCH_RESULTS=${BENCH_RESULTS:-$top/bench-results.json}
WORK=$(mktemp -d /tmp/umbral-bench.XXXXXX)
BG_PIDS=()

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# record NAME VALUE UNIT: adds one figure to the results file.
record() {
	local tmp
	tmp=$(mktemp)
	jq --arg n "$1" --argjson v "$2" --arg u "$3" '.[$n] = {value: $v, unit: $u}' \
		"$BENCH_RESULTS" >"$tmp" && mv "$tmp" "$BENCH_RESULTS"
}
# iperf_server NS ADDR: an iperf3 server in NS on ADDR, in the background, once it answers.
iperf_server() {
	local i
	ip netns exec "$1" iperf3 -s -B "$2" >/dev/null 2>&1 &
	BG_PIDS+=($!)
	for i in $(seq 50); do nsx "$1" iperf3 -c "$2" -t 1 >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}
# iperf_once NS_CLIENT SERVER_ADDR SECONDS: Mbit/s of one run.
iperf_once() {
	nsx "$1" iperf3 -c "$2" -t "$3" -J | jq '.end.sum_received.bits_per_second / 1e6'
}
# ns_remove NS...: ends every process in the namespaces (by PID), then deletes them.
ns_remove() {
	local ns p
	for ns in "$@"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	sleep 0.3
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
}
cleanup_bg() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
