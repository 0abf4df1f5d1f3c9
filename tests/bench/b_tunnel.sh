#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Throughput of the full chain (s1-lan -> red -> crypto -> black -> inet ->
# black -> crypto -> red -> s2-lan) against a bare pair of namespaces joined by
# a veth with the same WireGuard implementation, in one run: iperf3 TCP,
# 3 runs of 10 s each, medians, and their ratio.
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}

bare_down() {
	ns_remove ub-a ub-b
	rm -f /run/wireguard/ubwga.sock /run/wireguard/ubwgb.sock
}

# Two namespaces, a veth, wireguard-go in each, configured with wg(8).
bare_up() {
	local ka kb
	bare_down
	ip netns add ub-a
	ip netns add ub-b
	ip link add ub0 netns ub-a type veth peer name ub0 netns ub-b
	nsx ub-a ip addr add 192.0.2.1/24 dev ub0
	nsx ub-b ip addr add 192.0.2.2/24 dev ub0
	for ns in ub-a ub-b; do nsx "$ns" ip link set ub0 up; nsx "$ns" ip link set lo up; done
	ka=$(wg genkey)
	kb=$(wg genkey)
	ip netns exec ub-a env WG_PROCESS_FOREGROUND=1 wireguard-go ubwga >/dev/null 2>&1 &
	ip netns exec ub-b env WG_PROCESS_FOREGROUND=1 wireguard-go ubwgb >/dev/null 2>&1 &
	for _ in $(seq 50); do [ -S /run/wireguard/ubwga.sock ] && [ -S /run/wireguard/ubwgb.sock ] && break; sleep 0.1; done
	nsx ub-a wg set ubwga private-key <(echo "$ka") listen-port 51820 \
		peer "$(echo "$kb" | wg pubkey)" endpoint 192.0.2.2:51820 allowed-ips 10.200.0.2/32
	nsx ub-b wg set ubwgb private-key <(echo "$kb") listen-port 51820 \
		peer "$(echo "$ka" | wg pubkey)" endpoint 192.0.2.1:51820 allowed-ips 10.200.0.1/32
	nsx ub-a ip addr add 10.200.0.1/24 dev ubwga
	nsx ub-b ip addr add 10.200.0.2/24 dev ubwgb
	nsx ub-a ip link set ubwga mtu 1420 up
	nsx ub-b ip link set ubwgb mtu 1420 up
}

# The socket buffers umbrald gives its own wireguard-go (wg/wggo_tune.c), and
# the receive steering it gives its links, the tunnel's too (policy/rps.c):
# all CPUs.
bare_tune() {
	local ns p mask
	mask=$(printf '%x' $(((1 << $(nproc)) - 1)))
	for ns in ub-a ub-b; do
		nsx "$ns" sh -c "for q in /sys/class/net/ub*/queues/rx-*/rps_cpus; do echo $mask >\$q; done"
		for p in $(ip netns pids "$ns"); do
			[ "$(cat /proc/$p/comm 2>/dev/null)" = wireguard-go ] && "$UMBRAL_BIN/tests/wggo_tune" "$p" >/dev/null
		done
	done
}

trap 'bare_down; "$LAB" down; cleanup_bg' EXIT
echo "full chain: lab up, then $RUNS x ${SECS}s iperf3 s1-lan -> s2-lan"
"$LAB" up --sites 2 >/dev/null || exit 1
for _ in $(seq 100); do nsx s1-lan ping -c1 -W1 10.2.1.10 >/dev/null 2>&1 && break; done
full=$(iperf_runs s1-lan s2-lan 10.2.1.10 "$RUNS" "$SECS")
"$LAB" down
echo "bare pair: wireguard-go over one veth, $RUNS x ${SECS}s iperf3"
bare_up
bare=$(iperf_runs ub-a ub-b 10.200.0.2 "$RUNS" "$SECS")
echo "bare pair again, with umbrald's socket buffers and receive steering"
bare_tune
tuned=$(iperf_runs ub-a ub-b 10.200.0.2 "$RUNS" "$SECS")
bare_down

a=$(median <<<"$full")
b=$(median <<<"$bare")
bt=$(median <<<"$tuned")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }
row() { printf '%-52s %8.1f   %s\n' "$1" "$2" "$(echo $3 | xargs printf '%.0f ')"; }
printf '\n%-52s %8s   %s\n' "iperf3 TCP, median of $RUNS x ${SECS}s" "Mbit/s" "runs"
row "(a)  s1-lan -> s2-lan, full Umbral chain" "$a" "$full"
row "(b)  bare wireguard-go pair over one veth, stock" "$b" "$bare"
row "(b') the same pair, umbrald's buffers and steering" "$bt" "$tuned"
printf '%-52s %8s\n' "ratio a/b  (target >= 0.85, goal 0.92)" "$(ratio "$a" "$b")"
printf '%-52s %8s\n' "ratio a/b' (same WireGuard tuning on both sides)" "$(ratio "$a" "$bt")"
record tunnel_full_chain_mbps "$a" Mbit/s
record tunnel_bare_pair_mbps "$b" Mbit/s
record tunnel_bare_pair_tuned_mbps "$bt" Mbit/s
record tunnel_ratio "$(ratio "$a" "$b")" ratio
record tunnel_ratio_tuned "$(ratio "$a" "$bt")" ratio
