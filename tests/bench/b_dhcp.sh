#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# DHCP DORA exchanges per second for 1000 distinct clients: perfdhcp (kea-admin)
# against red's umbrald, and in the same run against dnsmasq serving the same
# pool from the same namespace and interface; medians of BENCH_RUNS runs each,
# and their ratio. perfdhcp's avalanche scenario sends a DISCOVER for every
# client at once and retransmits until each has its ACK: the time to provision
# all 1000 is what is measured. Each run starts its server with no leases.
#
# umbrald probes every address by ARP (100 ms) before offering it; dnsmasq's
# own conflict check (an ICMP ping, up to 3 s) makes it ~40 times slower under
# this load, so the baseline is dnsmasq with --no-ping, its fastest setting.
# BENCH_DHCP_PING=1 also measures dnsmasq with its ping (about 100 s more).
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
CLIENTS=1000
W=/run/umbral-bench-dhcp # tmpfs, as the lab's state: both servers write their leases here

ns_down() {
	ns_remove ub-dsrv ub-dcl
	rm -rf "$W"
}

# A red domain on its own: lan 10.77.0.1/20 to the clients' namespace, and the
# internal links red routes over, with nothing behind them.
ns_up() {
	local l
	ns_down
	mkdir -p "$W"
	ip netns add ub-dsrv
	ip netns add ub-dcl
	ip link add lan netns ub-dsrv type veth peer name eth0 netns ub-dcl
	ip -n ub-dsrv link add to-crypto type veth peer name x-crypto
	ip -n ub-dsrv link add to-black type veth peer name x-black
	for l in lo lan to-crypto to-black x-crypto x-black; do ip -n ub-dsrv link set "$l" up; done
	ip -n ub-dsrv addr add 169.254.1.1/30 dev to-crypto
	ip -n ub-dsrv addr add 169.254.3.1/30 dev to-black
	ip -n ub-dsrv addr add 10.77.0.1/20 dev lan
	ip -n ub-dcl addr add 10.77.0.10/20 dev eth0
	ip -n ub-dcl link set lo up
	ip -n ub-dcl link set eth0 up
}

# Red's umbrald with no configuration: it derives 10.77.0.100-10.77.15.254 from lan.
start_umbrald() {
	ip netns exec ub-dsrv "$UMBRAL_BIN/umbrald" --domain red --node bench --state "$W/red" \
		--run "$W/run" >"$W/server.log" 2>&1 &
	for _ in $(seq 50); do grep -q 'dhcp: serving' "$W/server.log" && return 0; sleep 0.1; done
	echo "umbrald did not start serving:" >&2
	cat "$W/server.log" >&2
	return 1
}

# dnsmasq, DHCP only, on the same interface with the same pool and lease time.
start_dnsmasq() {
	ip netns exec ub-dsrv dnsmasq --no-daemon --port=0 --interface=lan --bind-interfaces \
		--dhcp-range=10.77.0.100,10.77.15.254,255.255.240.0,1h --dhcp-authoritative \
		--dhcp-leasefile="$W/dnsmasq.leases" --no-resolv --no-hosts --quiet-dhcp \
		--pid-file="$W/dnsmasq.pid" "$@" >"$W/server.log" 2>&1 &
	sleep 1
}

# One run: fresh namespaces, the server, perfdhcp. Prints DORA/s, or 0 if not every client got its ACK.
one_run() {
	local out rate acks
	ns_up
	"$@" || return 1
	out=$(ip netns exec ub-dcl perfdhcp -4 -l eth0 -R "$CLIENTS" -n "$CLIENTS" \
		--scenario avalanche 10.77.0.1 2>&1)
	rate=$(awk '/^Rate:/ {print $2; exit}' <<<"$out")
	acks=$(awk '/received packets:/ {n++; if (n == 2) print $3}' <<<"$out")
	ns_down
	if [ "${acks:-0}" -ne "$CLIENTS" ]; then
		echo "  (only ${acks:-0} of $CLIENTS clients were provisioned)" >&2
		echo 0
		return
	fi
	echo "${rate:-0}"
}

runs() {
	local i
	for i in $(seq "$RUNS"); do one_run "$@"; done
}

trap 'ns_down; cleanup_bg' EXIT
command -v perfdhcp >/dev/null || { echo "perfdhcp is missing (make deps: kea-admin)"; exit 1; }
command -v dnsmasq >/dev/null || { echo "dnsmasq is missing (make deps: dnsmasq-base)"; exit 1; }
echo "perfdhcp avalanche, $CLIENTS distinct clients, $RUNS runs per server"
u=$(runs start_umbrald)
d=$(runs start_dnsmasq --no-ping)
um=$(median <<<"$u")
dm=$(median <<<"$d")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }
row() { printf '%-50s %9.1f   %s\n' "$1" "$2" "$(echo $3 | xargs printf '%.0f ')"; }
printf '\n%-50s %9s   %s\n' "DHCP DORA/s, $CLIENTS clients, median of $RUNS" "DORA/s" "runs"
row "(a) red's umbrald (ARP probe before each offer)" "$um" "$u"
row "(b) dnsmasq --no-ping, same pool and interface" "$dm" "$d"
if [ "${BENCH_DHCP_PING:-0}" = 1 ]; then
	dp=$(one_run start_dnsmasq)
	row "(c) dnsmasq with its ICMP ping check (1 run)" "$dp" "$dp"
	record dhcp_dnsmasq_ping_dora_per_s "$dp" DORA/s
fi
printf '%-50s %9s\n' "ratio a/b  (target >= 1.0)" "$(ratio "$um" "$dm")"
record dhcp_umbrald_dora_per_s "$um" DORA/s
record dhcp_dnsmasq_dora_per_s "$dm" DORA/s
record dhcp_ratio "$(ratio "$um" "$dm")" ratio
