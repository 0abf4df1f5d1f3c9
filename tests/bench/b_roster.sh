#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The roster at the seed's scale: importing a signed roster of 250 nodes x 16
# prefixes on one node (verify, then apply in crypto, red and black: 249
# WireGuard peers, 3984 prefixes in the nftables sets and routes) against, in
# the same run, `wg setconf` of the same 249 peers on a fresh wireguard-go
# device plus `nft -f` of the same prefixes as one interval set; their ratio;
# a one-node change in a newer roster (3 runs, median); and the RSS of the
# node's three umbrald with 249 peers. Prints figures; asserts nothing.
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
NODES=250
UMBRAL="$UMBRAL_BIN/umbral"
trap 'cleanup_bg; bare_down; "$LAB" down' EXIT

now_ms() { date +%s%3N; }
bare_down() {
	ns_remove ub-r
	rm -f /run/wireguard/ubwgr.sock
}

"$LAB" up --sites 1 --keys-only >/dev/null || exit 1
self=$(cat /run/umbral-lab/s1/public.key)
"$(dirname "$LAB")/roster-nodes" "$self" "$NODES" >"$WORK/nodes"
roster() { # roster SERIAL [CHANGED-NODE-LINE-SED]
	printf 'umbral-roster 1\nnetwork bench\nserial %s\n' "$1"
	sed "${2:-}" "$WORK/nodes"
}
auth=$("$UMBRAL" roster keygen --secret-out "$WORK/auth.sk")
"$UMBRAL" -N s1 roster trust "$auth" >/dev/null
roster 1 >"$WORK/r1.txt"
"$UMBRAL" roster sign --key "$WORK/auth.sk" "$WORK/r1.txt" >"$WORK/r1.signed"
echo "roster: $NODES nodes x 16 prefixes, $(wc -c <"$WORK/r1.signed") bytes"

t0=$(now_ms)
"$UMBRAL" -N s1 roster import "$WORK/r1.signed" >"$WORK/import.out" 2>&1 || { cat "$WORK/import.out"; exit 1; }
import_ms=$(($(now_ms) - t0))
npeers=$("$UMBRAL" -N s1 status --json | jq '.domains.crypto.wireguard.peers | length')
echo "full import: $import_ms ms ($npeers peers in crypto)"

# The baseline, same peers and prefixes, by the standard tools.
awk -v self="$self" '$4 != self {
	printf "[Peer]\nPublicKey = %s\nEndpoint = %s\nPersistentKeepalive = 25\nAllowedIPs = ", $4, $6
	n = 0; for (i = 10; i <= NF; i += 2) printf "%s%s", (n++ ? ", " : ""), $i; printf "\n\n" }' \
	"$WORK/nodes" >"$WORK/peers.conf"
{ echo "[Interface]"; echo "PrivateKey = $(wg genkey)"; echo "ListenPort = 51820"; echo; cat "$WORK/peers.conf"; } >"$WORK/wg.conf"
awk -v self="$self" 'BEGIN { printf "table inet ubench {\n set remote4 { type ipv4_addr; flags interval; elements = { " }
	$4 != self { for (i = 10; i <= NF; i += 2) printf "%s%s", (n++ ? ", " : ""), $i }
	END { printf " } }\n chain forward_c { type filter hook forward priority 0; policy drop; ip daddr @remote4 accept; }\n}\n" }' \
	"$WORK/nodes" >"$WORK/bench.nft"
base=()
for r in $(seq "$RUNS"); do
	bare_down
	ip netns add ub-r
	ip netns exec ub-r env WG_PROCESS_FOREGROUND=1 wireguard-go ubwgr >/dev/null 2>&1 &
	BG_PIDS+=($!)
	for _ in $(seq 50); do [ -S /run/wireguard/ubwgr.sock ] && break; sleep 0.1; done
	t0=$(now_ms)
	nsx ub-r wg setconf ubwgr "$WORK/wg.conf" || exit 1
	nsx ub-r nft -f "$WORK/bench.nft" || exit 1
	base+=($(($(now_ms) - t0)))
done
nsx ub-r wg show ubwgr peers | wc -l >"$WORK/base.peers"
base_ms=$(printf '%s\n' "${base[@]}" | median)
echo "wg setconf ($(cat "$WORK/base.peers") peers) + nft -f: ${base[*]} ms, median $base_ms ms"
ratio=$(awk -v a="$import_ms" -v b="$base_ms" 'BEGIN { printf "%.1f", a / b }')
echo "ratio import / (wg setconf + nft -f): $ratio"

# One node changes (s7 gains a prefix outside the others): only that peer moves.
one=()
for r in $(seq "$RUNS"); do
	s=$((r + 1))
	if [ $((r % 2)) = 1 ]; then ed='/^node s7 /s/$/ prefix 10.251.7.0\/24/'; else ed=''; fi
	roster "$s" "$ed" >"$WORK/r$s.txt"
	"$UMBRAL" roster sign --key "$WORK/auth.sk" "$WORK/r$s.txt" >"$WORK/r$s.signed"
	t0=$(now_ms)
	"$UMBRAL" -N s1 roster import "$WORK/r$s.signed" >"$WORK/one.out" 2>&1 || { cat "$WORK/one.out"; exit 1; }
	one+=($(($(now_ms) - t0)))
	grep -q "1 changed" "$WORK/one.out" || { echo "unexpected diff:"; cat "$WORK/one.out"; }
done
one_ms=$(printf '%s\n' "${one[@]}" | median)
echo "one-node change: ${one[*]} ms, median $one_ms ms"

rss=""
for d in red crypto black; do
	kb=$(awk '/^VmRSS/ {print $2}' "/proc/$("$LAB" pid s1 $d)/status")
	rss="$rss $d ${kb} kB"
	record "roster_rss_${d}_kb" "$kb" kB
done
echo "umbrald RSS with $npeers peers:$rss"
record roster_import_250x16_ms "$import_ms" ms
record roster_baseline_wg_setconf_nft_ms "$base_ms" ms
record roster_import_ratio "$ratio" x
record roster_one_node_change_ms "$one_ms" ms
