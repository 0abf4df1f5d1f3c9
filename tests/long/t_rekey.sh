#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 5, rekey (make check-long): six minutes of traffic between two sites.
# WireGuard renews session keys every 120 s; each peer's handshake must be
# renewed at least twice (status counts the handshakes it saw), with every
# transfer arriving intact and no ping lost to a rekey.
. "$(dirname "$0")/../integration/lib.sh"

DURATION=${UMBRAL_LONG_SECONDS:-360}
handshakes() {
	"$UMBRAL" -N "$1" status --json |
		jq -r ".domains.crypto.wireguard.peers[] | select(.site == \"$2\") | .handshakes"
}

"$LAB" up --sites 2 || exit 1
check "s1-lan reaches s2-lan" wait_for 20 ping_ok s1-lan 10.2.1.10
head -c $((2 << 20)) /dev/urandom >"$WORK/payload"
sum=$(sha256sum <"$WORK/payload")
ip netns exec s1-lan ping -i 0.5 -W 2 10.2.1.10 >"$WORK/ping12" 2>&1 &
p12=$!
ip netns exec s2-lan ping -i 0.5 -W 2 10.1.1.10 >"$WORK/ping21" 2>&1 &
p21=$!
end=$((SECONDS + DURATION))
n=0
bad=0
while [ $SECONDS -lt $end ]; do
	n=$((n + 1))
	# Alternate directions: 2 MiB each time, checked on arrival.
	if [ $((n % 2)) = 1 ]; then a=s1 b=s2 dst=10.2.1.10; else a=s2 b=s1 dst=10.1.1.10; fi
	rm -f "$WORK/received"
	ip netns exec "$b-lan" timeout 30 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/received",creat,trunc &
	rx=$!
	wait_for 5 sh -c "ip netns exec $b-lan ss -ltn | grep -q ':5001 '"
	ip netns exec "$a-lan" timeout 30 socat -u OPEN:"$WORK/payload" TCP:$dst:5001 || bad=$((bad + 1))
	wait "$rx"
	[ "$(sha256sum <"$WORK/received" 2>/dev/null)" = "$sum" ] || bad=$((bad + 1))
	sleep 5
done
kill -INT "$p12" "$p21"
wait "$p12" "$p21"
echo "after $DURATION s: $n transfers; handshakes seen: s1->s2 $(handshakes s1 s2), s2->s1 $(handshakes s2 s1)"
tail -n 2 "$WORK/ping12" "$WORK/ping21"
check "$n transfers of 2 MiB over $DURATION s, every one intact" [ "$bad" -eq 0 -a "$n" -gt 10 ]
for pair in "s1 s2" "s2 s1"; do
	set -- $pair
	h=$(handshakes "$1" "$2")
	check "$1's peer $2: $h handshakes seen (the first and at least two renewals)" [ "${h:-0}" -ge 3 ]
done
check "no ping lost s1-lan -> s2-lan across the rekeys" grep -q " 0% packet loss" "$WORK/ping12"
check "no ping lost s2-lan -> s1-lan across the rekeys" grep -q " 0% packet loss" "$WORK/ping21"
