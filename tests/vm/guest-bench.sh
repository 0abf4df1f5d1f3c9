#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside each guest of bench-vm (as /etc/umbral/test.sh): iperf3 over
# kernel WireGuard, under qemu TCG. MODE umbral: between the two Umbral nodes'
# lans (lan -> red -> crypto/wg0 -> black -> wan and back out). MODE bare: the
# same image left unconfigured, wg0 set up by hand with `wg` in the guest's own
# namespace, and a `lan` namespace behind a veth routed straight into it: the
# same forwarded path without the three domains, their nftables and policy
# routes. The lan link's MTU is wg0's, as Umbral's MSS clamp has it. (Endpoints on the guest itself measured lower, ~73 Mbit/s: locally
# made TCP is held back while wg0 queues its packets.) ROLE client measures TCP
# both ways and tells the server (ROLE server) when it is done. Prints
# "bench: ..." lines; asserts nothing about speed (exit 0 unless it could not run).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
ip() { /usr/sbin/ip "$@"; }
[ -r /etc/umbral/node.conf ] && . /etc/umbral/node.conf
. /etc/umbral/test.conf
. /etc/umbral/test-lib.sh
inlan() { ip netns exec lan "$@"; }

if [ "$MODE" = bare ]; then
	NODE=$BARE_NODE
	# Unconfigured, the box keeps its boot-time default-deny: lift it here only.
	nft delete table inet umbral || { echo "bench: $NODE: default-deny still there"; exit 1; }
	echo 1 >/proc/sys/net/ipv4/ip_forward
	ip link set eth0 up && ip addr add "$BARE_WAN" dev eth0 &&
		ip route add 198.18.0.0/16 dev eth0 &&
		ip link add wg0 type wireguard && wg genkey >/tmp/wg.key &&
		wg set wg0 private-key /tmp/wg.key listen-port 51820 && ip link set wg0 up &&
		ip route add "$PEER_PREFIX" dev wg0 &&
		ip netns add lan && ip -n lan link set lo up &&
		ip link add lan type veth peer name eth0 netns lan &&
		ip addr add "$BARE_GW" dev lan && ip link set lan up &&
		ip -n lan addr add "$BARE_LAN" dev eth0 && ip -n lan link set eth0 up &&
		ip -n lan route add default via "${BARE_GW%/*}" &&
		ip link set lan mtu 1420 && ip -n lan link set eth0 mtu 1420 ||
		{ echo "bench: $NODE: bare wg0 failed"; exit 1; }
	# The host's roster, only read here: the other node's key.
	roster_fetch "$(wg pubkey </tmp/wg.key)" && PEER_PUB=$(roster_key "$PEER_SITE") &&
		wg set wg0 peer "$PEER_PUB" endpoint "$PEER_ENDPOINT" persistent-keepalive 25 \
			allowed-ips "$PEER_PREFIX" || { echo "bench: $NODE: no peer key"; exit 1; }
	echo "bench: $NODE: bare kernel WireGuard (lan $BARE_LAN, routed into wg0)"
else
	[ "$(cat /run/umbral-boot.status 2>/dev/null)" = ok ] || { echo "bench: $NODE: boot failed"; exit 1; }
	{ roster_fetch "$(umbral -N "$NODE" key public)" && peer_join >/dev/null; } ||
		{ echo "bench: $NODE: could not import the roster"; exit 1; }
	echo "bench: $NODE: Umbral, WireGuard $(umbral -N "$NODE" status --json | grep -o '"backend":"[^"]*"')"
fi
if [ "$ROLE" = server ]; then
	inlan iperf3 -s -D --logfile /tmp/iperf3.log
	# The client says when it is done; the server stays up until then.
	inlan timeout 150 nc -l -p 5003 -e sh -c 'cat >/tmp/done' </dev/null
	exit 0
fi
i=0
until inlan ping -c 1 -W 1 "$PEER_LAN" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || { echo "bench: $NODE: no tunnel"; exit 1; }
done
sleep 1
wgns=crypto; [ "$MODE" = bare ] && wgns=
echo "bench: $MODE: wg0 $(ip ${wgns:+-n $wgns} link show wg0 | grep -o 'mtu [0-9]*'), lan mtu $(inlan ip link show eth0 | grep -o 'mtu [0-9]*' | cut -d' ' -f2)"
for dir in "" -R; do
	what="$NODE -> $PEER_SITE"; [ -z "$dir" ] || what="$PEER_SITE -> $NODE"
	inlan iperf3 -c "$PEER_LAN" -t 10 -f m $dir >/tmp/iperf3.out 2>&1
	echo "bench: $MODE tcp $what: $(awk '/receiver/{print $(NF-2), $(NF-1)}' /tmp/iperf3.out)" \
		"(retransmits $(awk '/sender/{print $(NF-1)}' /tmp/iperf3.out))"
done
echo "done" | inlan timeout 10 nc "$PEER_LAN" 5003
exit 0
