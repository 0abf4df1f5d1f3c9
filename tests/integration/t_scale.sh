#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 5, scale: a 30-site lab, configured as a network of that size would be
# (one signed roster imported on each node), where every LAN pings every other
# LAN: 870 pairs, each answered. Prints the wall times (lab up, configure, all
# handshakes, matrix) and what the lab's daemons cost (RSS, CPU), and checks
# that lab down leaves no namespace and no process behind.
. "$(dirname "$0")/lib.sh"

SITES=${UMBRAL_SCALE_SITES:-30}
TRIES=5 # pings per pair before it counts as failed: first packets trigger handshakes
pairs=$((SITES * (SITES - 1)))

# t_took [SINCE]: seconds since the last t_start (or SINCE), one decimal.
t_start() { T0=$EPOCHREALTIME; }
t_took() { awk -v a="${1:-$T0}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
T_BEGIN=$EPOCHREALTIME
status_json() { "$UMBRAL" -N "$1" status --json; }
# handshaken SITE: how many of the node's peers have had a handshake.
handshaken() {
	status_json "$1" | jq '[.domains.crypto.wireguard.peers[] | select(.latest_handshake > 0)] | length'
}
all_handshaken() {
	local n total=0
	for n in $(seq "$SITES"); do total=$((total + $(handshaken "s$n"))); done
	HANDSHAKEN=$total
	[ "$total" -eq "$pairs" ]
}

# --- lab up and configure, timed apart
t_start
"$LAB" up --sites "$SITES" --keys-only || exit 1
t_up=$(t_took)
pass "lab up: $SITES sites, 4 namespaces and 3 daemons each, keys generated in ${t_up} s"
t_start
check "every node imports one signed roster of $SITES nodes (lab roster)" "$LAB" roster
t_conf=$(t_took)
echo "# configured $SITES nodes by roster in ${t_conf} s"
bad=""
for n in $(seq "$SITES"); do
	j=$(status_json "s$n")
	jq -e --argjson want $((SITES - 1)) '.consistent and ([.domains[].applied] | all) and
		(.domains.crypto.wireguard.peers | length) == $want' <<<"$j" >/dev/null || bad="$bad s$n"
done
check "every node: all three domains at the same revision, applied, $((SITES - 1)) peers${bad:+ (not:$bad)}" \
	[ -z "$bad" ]

# --- handshakes: keepalive makes every peer handshake without traffic
t_start
HANDSHAKEN=0
wait_for 120 all_handshaken
t_hs=$(t_took)
echo "# handshakes: $HANDSHAKEN of $pairs peer entries after ${t_hs} s"
check "all $pairs peer entries have a handshake (${t_hs} s after configuring)" [ "$HANDSHAKEN" -eq "$pairs" ]

# --- the matrix: one background job per source site, the pairs of a source in turn
# matrix_from N: s$N-lan pings every other site's LAN host, up to TRIES times,
# and writes one line per pair: "sN-lan sM-lan ok|FAILED TRIES".
matrix_from() {
	local n=$1 dsts
	dsts=$(seq "$SITES" | grep -vx "$n" | tr '\n' ' ')
	ip netns exec "s$n-lan" bash -c '
		n=$1 tries=$2; shift 2
		for m; do
			r=FAILED
			for ((t = 1; t <= tries; t++)); do
				ping -c 1 -W 1 "10.$m.1.10" >/dev/null 2>&1 && { r=ok; break; }
			done
			echo "s$n-lan s$m-lan $r $((t > tries ? tries : t))"
		done' _ "$n" "$TRIES" $dsts >"$WORK/matrix.$n"
}
t_start
jobs_=()
for n in $(seq "$SITES"); do
	matrix_from "$n" &
	jobs_+=($!)
	BG_PIDS+=($!)
done
for p in "${jobs_[@]}"; do wait "$p"; done
t_matrix=$(t_took)
cat "$WORK"/matrix.* >"$WORK/matrix"
ok=$(grep -c ' ok ' "$WORK/matrix")
failed=$(grep -c ' FAILED ' "$WORK/matrix")
retried=$(awk '$3 == "ok" && $4 > 1' "$WORK/matrix" | wc -l)
echo "# matrix: $ok ok, $failed failed of $pairs pairs in ${t_matrix} s ($retried needed more than one try)"
while read -r a b _; do fail "$a pings $b: no answer in $TRIES tries"; done < <(grep ' FAILED ' "$WORK/matrix")
check "every LAN pings every other LAN: $ok of $pairs pairs answered" [ "$ok" -eq "$pairs" ]

# --- what the lab's daemons cost, from /proc by the PIDs the lab recorded
# kb FIELD PID...: the sum of a /proc/PID/smaps_rollup field (Rss, Pss) in kB.
kb() {
	local f=$1; shift
	awk -v f="$f:" '$1 == f { s += $2 } END { print s + 0 }' $(printf '/proc/%s/smaps_rollup ' "$@")
}
# ticks PID...: CPU time (user + system) of these processes, in clock ticks.
ticks() { cat $(printf '/proc/%s/stat ' "$@") | awk '{ s += $14 + $15 } END { print s + 0 }'; }
secs() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'; }
umbrald_pids=()
wggo_pids=()
for n in $(seq "$SITES"); do
	for d in red crypto black; do umbrald_pids+=("$("$LAB" pid "s$n" "$d")"); done
	wggo_pids+=("$(status_json "s$n" | jq -r '.domains.crypto.wireguard.pid')")
done
check "${#umbrald_pids[@]} umbrald and ${#wggo_pids[@]} wireguard-go running" \
	kill -0 "${umbrald_pids[@]}" "${wggo_pids[@]}"
# memory WHAT PID...: their summed RSS and PSS (shared pages counted once).
memory() {
	local what=$1 rss pss; shift
	rss=$(kb Rss "$@")
	pss=$(kb Pss "$@")
	echo "# memory: $# $what: RSS $((rss / 1024)) MiB ($((rss / $#)) kB each), PSS $((pss / 1024)) MiB ($((pss / $#)) kB each)"
}
memory umbrald "${umbrald_pids[@]}"
memory wireguard-go "${wggo_pids[@]}"
u0=$(ticks "${umbrald_pids[@]}")
w0=$(ticks "${wggo_pids[@]}")
sleep 10
u1=$(ticks "${umbrald_pids[@]}")
w1=$(ticks "${wggo_pids[@]}")
hz=$(getconf CLK_TCK)
echo "# CPU since start: umbrald $(secs "$u1") s, wireguard-go $(secs "$w1") s;" \
	"10 s idle (keepalives only): umbrald $(((u1 - u0) * 100 / (10 * hz)))%," \
	"wireguard-go $(((w1 - w0) * 100 / (10 * hz)))% of one core"

# --- the flood guard let every handshake through (it exempts configured peers)
# guard_counts: "COUNTERS PACKETS", the flood guard's counters (flood_src,
# flood_all) found in black and crypto of every site, and their sum.
guard_counts() {
	local n d
	for n in $(seq "$SITES"); do
		for d in black crypto; do
			nsx "s$n-$d" nft -j list counters table inet umbral |
				jq -r '.nftables[].counter? | select(.name == "flood_src" or .name == "flood_all") | .packets'
		done
	done | awk '{ n++; s += $1 } END { print n + 0, s + 0 }'
}
read -r counters dropped < <(guard_counts)
echo "# flood guard: $dropped packets dropped (flood_src + flood_all of black and crypto, $counters counters)"
check "the flood guard dropped none of the lab's packets ($counters counters read)" \
	[ "$counters" -eq $((4 * SITES)) -a "$dropped" -eq 0 ]

# --- lab down removes every namespace and every process it made
t_start
"$LAB" down
t_down=$(t_took)
left=$(ip netns list | awk '{ print $1 }' | grep -cE '^(s[0-9]+-(red|crypto|black|lan)|inet|inet-srv)$')
check "lab down: no lab namespace left (${t_down} s)" [ "$left" -eq 0 ]
# running PID: the process exists and is no zombie (an orphan's exit status
# waits for init to collect it; the process itself is gone).
running() { [ -r "/proc/$1/stat" ] && awk '$3 == "Z" { exit 1 }' "/proc/$1/stat" 2>/dev/null; }
alive=()
for p in "${umbrald_pids[@]}" "${wggo_pids[@]}"; do running "$p" && alive+=("$p"); done
check "lab down: none of the ${#umbrald_pids[@]} umbrald and ${#wggo_pids[@]} wireguard-go PIDs alive${alive:+ (${alive[*]})}" \
	[ ${#alive[@]} -eq 0 ]
echo "# wall times: lab up ${t_up} s, configure ${t_conf} s, all handshakes ${t_hs} s, matrix ${t_matrix} s, lab down ${t_down} s;" \
	"the whole test until here $(t_took "$T_BEGIN") s"
