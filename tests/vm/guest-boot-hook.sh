#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside each check-vm guest as rcS's UMBRAL_BOOT_HOOK: the domains and
# their boot-time default-deny exist, no umbrald runs yet. It then does the
# worst a fault could: the ports up, forwarding on in every domain, routes that
# would carry the other site's prefix from red to black and out of wan; and
# injects packets on the LAN port towards the other site. None may appear on
# any black port. Everything is put back as rcS left it. Prints ok/FAIL lines;
# /run/umbral-boot-hook.fails gets the number of failures for test.sh.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
ip() { /usr/sbin/ip "$@"; }
. /etc/umbral/node.conf
. /etc/umbral/test.conf
FAILS=0
ok() { echo "ok - $NODE: boot: $*"; }
no() { FAILS=$((FAILS + 1)); echo "FAIL - $NODE: boot: $*"; }
nsx() { ns=$1; shift; ip netns exec "$ns" "$@"; }
# NS IF/COUNTER...: the counters' values, one namespace entered once (TCG is slow).
stat_() { ns=$1; shift; nsx "$ns" sh -c 'for c; do cat /sys/class/net/$c; done' - "$@" | tr '\n' ' '; }
fwd() { for d in red crypto black; do nsx $d sh -c "echo $1 >/proc/sys/net/ipv4/ip_forward"; done; }
# What black's ports and red's ports have seen, one line.
counters() {
	echo "$(stat_ black wan/statistics/tx_packets to-red/statistics/rx_packets \
		to-crypto/statistics/rx_packets) $(stat_ red lan/statistics/rx_packets \
		to-black/statistics/tx_packets to-crypto/statistics/tx_packets)"
}
peer_net=${PEER_PREFIX%/*}

pidof umbrald >/dev/null && no "an umbrald runs already" || ok "no umbrald running yet"
nsx red nft list chain inet umbral forward >/dev/null 2>&1 &&
	nsx black nft list chain inet umbral forward >/dev/null 2>&1 &&
	nsx crypto nft list chain inet umbral forward >/dev/null 2>&1 && ok "default-deny table in red, crypto, black" ||
	no "a domain has no default-deny table"

fwd 1
ip -n red link set lan up
ip -n black link set wan up
ip -n red route add "$PEER_PREFIX" via 169.254.3.2 dev to-black
ip -n black route add "$PEER_PREFIX" dev wan
ip -n black route add 198.18.0.0/16 dev wan 2>/dev/null
sleep 0.3
set -- $(counters)
b_wan=$1 b_red=$2 b_cry=$3 r_lan=$4 r_blk=$5 r_cry=$6
# Injected on the LAN port: ICMP and UDP (to the WireGuard port) towards the other site.
nsx lan timeout 2 ping -c 5 -i 0.2 "$PEER_LAN" >/dev/null 2>&1
nsx lan sh -c "echo leak | nc -u -w 1 $PEER_LAN 51820; echo leak | nc -u -w 1 $peer_net 9" 2>/dev/null
sleep 0.3
set -- $(counters)
dropped=$(nsx red nft list chain inet umbral forward | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ $(($4 - r_lan)) -ge 5 ] && ok "$(($4 - r_lan)) packets arrived on red's lan port" ||
	no "the injected packets did not reach red's lan port ($r_lan -> $4)"
[ "${dropped:-0}" -ge 5 ] && ok "red's boot-time forward chain counted $dropped packets (policy drop)" ||
	no "red's forward chain counted ${dropped:-nothing}"
[ "$1" = "$b_wan" ] && [ "$2" = "$b_red" ] && [ "$3" = "$b_cry" ] &&
	ok "nothing on any black port (wan tx, to-red rx, to-crypto rx unchanged: $1 $2 $3)" ||
	no "black's ports saw packets: wan tx $b_wan -> $1, to-red rx $b_red -> $2, to-crypto rx $b_cry -> $3"
[ "$5" = "$r_blk" ] && [ "$6" = "$r_cry" ] && ok "red sent nothing to black or crypto" ||
	no "red sent packets: to-black $r_blk -> $5, to-crypto $r_cry -> $6"

# As rcS left it: ports down, forwarding off, no routes of ours.
ip -n red route del "$PEER_PREFIX" via 169.254.3.2 dev to-black
ip -n black route del "$PEER_PREFIX" dev wan
ip -n black route del 198.18.0.0/16 dev wan 2>/dev/null
ip -n black link set wan down
ip -n red link set lan down
fwd 0
echo "$FAILS" >/run/umbral-boot-hook.fails
exit "$FAILS"
