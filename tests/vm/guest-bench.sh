#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside each guest of bench-vm (as /etc/umbral/test.sh): iperf3 between
# the two lans, over kernel WireGuard, under qemu TCG. ROLE client measures
# TCP both ways and tells the server (ROLE server) when it is done. Prints
# "bench: ..." lines; asserts nothing about speed (exit 0 unless it could not run).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
ip() { /usr/sbin/ip "$@"; }
. /etc/umbral/node.conf
. /etc/umbral/test.conf
. /etc/umbral/test-lib.sh
nsx() { ns=$1; shift; ip netns exec "$ns" "$@"; }

[ "$(cat /run/umbral-boot.status 2>/dev/null)" = ok ] || { echo "bench: $NODE: boot failed"; exit 1; }
peer_join >/dev/null || { echo "bench: $NODE: could not add $PEER_SITE"; exit 1; }
backend=$(umbral -N "$NODE" status --json | grep -o '"backend":"[^"]*"')
echo "bench: $NODE: WireGuard $backend"
if [ "$ROLE" = server ]; then
	nsx lan iperf3 -s -D --logfile /tmp/iperf3.log
	# The client says when it is done; the server stays up until then.
	nsx lan timeout 150 nc -l -p 5003 -e sh -c 'cat >/tmp/done' </dev/null
	exit 0
fi
i=0
until nsx lan ping -c 1 -W 1 "$PEER_LAN" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || { echo "bench: $NODE: no tunnel"; exit 1; }
done
sleep 1
for dir in "" -R; do
	what="$NODE -> $PEER_SITE"; [ -z "$dir" ] || what="$PEER_SITE -> $NODE"
	nsx lan iperf3 -c "$PEER_LAN" -t 10 -f m $dir >/tmp/iperf3.out 2>&1
	echo "bench: tcp $what lan to lan: $(awk '/receiver/{print $(NF-2), $(NF-1)}' /tmp/iperf3.out)"
done
echo done | nsx lan timeout 10 nc "$PEER_LAN" 5003
exit 0
