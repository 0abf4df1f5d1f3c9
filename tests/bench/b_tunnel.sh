#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Throughput of the full chain (s1-lan -> red -> crypto -> black -> inet ->
# black -> crypto -> red -> s2-lan) against a bare pair of namespaces joined by
# a veth with the same WireGuard implementation, in one run: iperf3 TCP,
# 3 runs of 10 s each, medians, and their ratio. All of it is up at once and
# the runs alternate (a, b, b', a, b, b', ...): on a VM whose host takes a
# changing share of the CPUs, runs minutes apart measured the host.
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}

# Two namespaces NAME-a and NAME-b, a veth, wireguard-go in each, configured
# with wg(8); NET is the third octet of their addresses.
bare_up() {
	local n=$1 net=$2 ka kb
	ip netns add "$n-a"
	ip netns add "$n-b"
	ip link add "${n}0" netns "$n-a" type veth peer name "${n}0" netns "$n-b"
	nsx "$n-a" ip addr add "192.0.$net.1/24" dev "${n}0"
	nsx "$n-b" ip addr add "192.0.$net.2/24" dev "${n}0"
	for ns in "$n-a" "$n-b"; do nsx "$ns" ip link set "${n}0" up; nsx "$ns" ip link set lo up; done
	ka=$(wg genkey)
	kb=$(wg genkey)
	ip netns exec "$n-a" env WG_PROCESS_FOREGROUND=1 wireguard-go "${n}wga" >/dev/null 2>&1 &
	ip netns exec "$n-b" env WG_PROCESS_FOREGROUND=1 wireguard-go "${n}wgb" >/dev/null 2>&1 &
	for _ in $(seq 50); do [ -S "/run/wireguard/${n}wga.sock" ] && [ -S "/run/wireguard/${n}wgb.sock" ] && break; sleep 0.1; done
	nsx "$n-a" wg set "${n}wga" private-key <(echo "$ka") listen-port 51820 \
		peer "$(echo "$kb" | wg pubkey)" endpoint "192.0.$net.2:51820" allowed-ips "10.200.$net.2/32"
	nsx "$n-b" wg set "${n}wgb" private-key <(echo "$kb") listen-port 51820 \
		peer "$(echo "$ka" | wg pubkey)" endpoint "192.0.$net.1:51820" allowed-ips "10.200.$net.1/32"
	nsx "$n-a" ip addr add "10.200.$net.1/24" dev "${n}wga"
	nsx "$n-b" ip addr add "10.200.$net.2/24" dev "${n}wgb"
	nsx "$n-a" ip link set "${n}wga" mtu 1420 up
	nsx "$n-b" ip link set "${n}wgb" mtu 1420 up
}

bare_down() {
	ns_remove ub-a ub-b uc-a uc-b
	rm -f /run/wireguard/ubwga.sock /run/wireguard/ubwgb.sock /run/wireguard/ucwga.sock \
		/run/wireguard/ucwgb.sock
}

# The socket buffers umbrald gives its own wireguard-go (wg/wggo_tune.c), and
# the receive steering it gives its links, the tunnel's too (policy/rps.c):
# all CPUs.
bare_tune() {
	local ns p mask
	mask=$(printf '%x' $(((1 << $(nproc)) - 1)))
	for ns in "$1-a" "$1-b"; do
		nsx "$ns" sh -c "for q in /sys/class/net/$1*/queues/rx-*/rps_cpus; do echo $mask >\$q; done"
		for p in $(ip netns pids "$ns"); do
			[ "$(cat /proc/$p/comm 2>/dev/null)" = wireguard-go ] && "$UMBRAL_BIN/tests/wggo_tune" "$p" >/dev/null
		done
	done
}

trap 'bare_down; "$LAB" down; cleanup_bg' EXIT
echo "full chain (lab of 2 sites), a bare wireguard-go pair, a second one tuned: $RUNS x ${SECS}s each, alternating"
"$LAB" up --sites 2 >/dev/null || exit 1
for _ in $(seq 100); do nsx s1-lan ping -c1 -W1 10.2.1.10 >/dev/null 2>&1 && break; done
bare_down
bare_up ub 2
bare_up uc 3
bare_tune uc
iperf_server s2-lan 10.2.1.10 && iperf_server ub-b 10.200.2.2 && iperf_server uc-b 10.200.3.2 ||
	{ echo "an iperf3 server did not answer"; exit 1; }
full="" bare="" tuned=""
for i in $(seq "$RUNS"); do
	full+="$(iperf_once s1-lan 10.2.1.10 "$SECS") "
	bare+="$(iperf_once ub-a 10.200.2.2 "$SECS") "
	tuned+="$(iperf_once uc-a 10.200.3.2 "$SECS") "
	echo "$full|$bare|$tuned" | awk -F'|' -v i="$i" '{split($1, a, " "); split($2, b, " "); split($3, c, " ");
		printf "  run %d: a %.0f, b %.0f, b'"'"' %.0f Mbit/s\n", i, a[i], b[i], c[i]}'
done
full=$(tr ' ' '\n' <<<"$full" | sed '/^$/d')
bare=$(tr ' ' '\n' <<<"$bare" | sed '/^$/d')
tuned=$(tr ' ' '\n' <<<"$tuned" | sed '/^$/d')

a=$(median <<<"$full")
b=$(median <<<"$bare")
bt=$(median <<<"$tuned")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }
row() { printf '%-52s %8.1f   %s\n' "$1" "$2" "$(echo $3 | xargs printf '%.0f ')"; }
printf '\n%-52s %8s   %s\n' "iperf3 TCP, median of $RUNS x ${SECS}s" "Mbit/s" "runs"
row "(a)  s1-lan -> s2-lan, full Umbral chain" "$a" "$full"
row "(b)  bare wireguard-go pair over one veth, stock" "$b" "$bare"
row "(b') a second such pair, umbrald's buffers, steering" "$bt" "$tuned"
printf '%-52s %8s\n' "ratio a/b  (target >= 0.85, goal 0.92)" "$(ratio "$a" "$b")"
printf '%-52s %8s\n' "ratio a/b' (same WireGuard tuning on both sides)" "$(ratio "$a" "$bt")"
record tunnel_full_chain_mbps "$a" Mbit/s
record tunnel_bare_pair_mbps "$b" Mbit/s
record tunnel_bare_pair_tuned_mbps "$bt" Mbit/s
record tunnel_ratio "$(ratio "$a" "$b")" ratio
record tunnel_ratio_tuned "$(ratio "$a" "$bt")" ratio
