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
# iperf_runs NS_CLIENT NS_SERVER SERVER_ADDR RUNS SECONDS: Mbit/s of each run, one a line.
iperf_runs() {
	local c=$1 s=$2 addr=$3 runs=$4 secs=$5 i pid
	ip netns exec "$s" iperf3 -s -B "$addr" >/dev/null 2>&1 &
	pid=$!
	BG_PIDS+=($pid)
	for i in $(seq 50); do nsx "$c" iperf3 -c "$addr" -t 1 >/dev/null 2>&1 && break; sleep 0.2; done
	for i in $(seq "$runs"); do
		nsx "$c" iperf3 -c "$addr" -t "$secs" -J |
			jq '.end.sum_received.bits_per_second / 1e6'
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
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
