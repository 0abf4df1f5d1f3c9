#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# wg/tools/live.sh — hand-run live check of wg/ (root; not part of `make unit`):
# two throwaway namespaces hwg-1/hwg-2 joined by a veth, wg0 in each through
# wg_open/wg_set, a ping across. Kills only the PIDs it started, by PID.
# Usage: wg/tools/live.sh [BUILD_DIR]   (default build; run from the repo root)
set -u
O=${1:-build}
D=$(mktemp -d /tmp/hwg.XXXXXX)
BIN=$D/wg_live
fail=0

cleanup() {
	for n in 1 2; do
		[ -f "$D/$n.sock.pid" ] && kill "$(cat "$D/$n.sock.pid")" 2>/dev/null
	done
	for n in 1 2; do # wait (≤ 2 s) until our own wireguard-go processes are gone
		p=$(cat "$D/$n.sock.pid" 2>/dev/null) || continue
		i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done
	done
	ip netns del hwg-1 2>/dev/null
	ip netns del hwg-2 2>/dev/null
	[ $fail = 0 ] && rm -rf "$D" || { tail -n 5 "$D"/*.log; rm -rf "$D"; }
}
[ "${KEEP:-0}" = 1 ] || trap cleanup EXIT

make -s "$O/libumbral.a" || exit 1
cc -std=gnu11 -Wall -Wextra -Werror -I. -o "$BIN" wg/tools/wg_live.c "$O/libumbral.a" \
	-lmnl -lsodium $( [ "$O" = build-san ] && echo -fsanitize=address,undefined ) || exit 1

for n in 1 2; do ip netns del hwg-$n 2>/dev/null; ip netns add hwg-$n || exit 1; done
ip link add veth-hwg1 netns hwg-1 type veth peer name veth-hwg2 netns hwg-2 || exit 1
ip -n hwg-1 addr add 192.0.2.1/30 dev veth-hwg1
ip -n hwg-2 addr add 192.0.2.2/30 dev veth-hwg2
for n in 1 2; do ip -n hwg-$n link set lo up; ip -n hwg-$n link set veth-hwg$n up; done

pub1=$(ip netns exec hwg-1 "$BIN" pub "$D/1.key")
pub2=$(ip netns exec hwg-2 "$BIN" pub "$D/2.key")
ip netns exec hwg-1 "$BIN" up wg0 "$D/1.sock" "$D/1.key" 51820 "$pub2" 192.0.2.2:51820 10.99.2.0/24 fd99:2::/64 || fail=1
ip netns exec hwg-2 "$BIN" up wg0 "$D/2.sock" "$D/2.key" 51820 "$pub1" - 10.99.1.0/24 || fail=1
ip -n hwg-1 addr add 10.99.1.1/24 dev wg0; ip -n hwg-1 route add 10.99.2.0/24 dev wg0
ip -n hwg-2 addr add 10.99.2.1/24 dev wg0; ip -n hwg-2 route add 10.99.1.0/24 dev wg0
# The first initiation may have left before hwg-2 existed: WireGuard retries after 5 s.
ok=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	if ip netns exec hwg-1 ping -c 1 -W 1 -I 10.99.1.1 10.99.2.1 >/dev/null; then ok=1; break; fi
done
if [ $ok = 1 ]; then echo "live: ping ok after $i tries"; else echo "live: ping FAILED"; fail=1; fi
ip netns exec hwg-1 ping -c 3 -i 0.2 10.99.2.1 | tail -2
# Re-open (umbrald restarted): the running device is re-adopted, same conf is a no-op.
ip netns exec hwg-1 "$BIN" up wg0 "$D/1.sock" "$D/1.key" 51820 "$pub2" 192.0.2.2:51820 10.99.2.0/24 fd99:2::/64 || fail=1
ip netns exec hwg-1 ping -c 1 -W 2 10.99.2.1 >/dev/null || fail=1
ip netns exec hwg-2 wg show wg0 2>/dev/null || true
echo "live: $( [ $fail = 0 ] && echo passed || echo FAILED )"
exit $fail
