#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 5, mobility: during a TCP transfer s2-lan -> s1-lan, s2's WAN moves
# from its first uplink (198.18.2.2) to its second (198.19.2.2, DESIGN §6
# wan2). The transfer completes with the same checksum, no new handshake is
# needed (WireGuard roaming), and the gap seen on s1's WAN is printed. Also:
# status shows per peer whether traffic flows and the handshakes seen.
. "$(dirname "$0")/lib.sh"

status_json() { "$UMBRAL" -N "$1" status --json; }
jqe() { jq -e "$@" >/dev/null; }
peer() { status_json "$1" | jq -c ".domains.crypto.wireguard.peers[] | select(.site == \"$2\")"; }

"$LAB" up --sites 2 || exit 1
check "s2-lan reaches s1-lan" wait_for 20 ping_ok s2-lan 10.1.1.10

# --- status per peer: endpoint, handshake, counters, flowing, handshakes seen
sleep 6 # one poll interval with keepalives only
p=$(peer s1 s2)
check "status --json per peer: endpoint, handshake age, rx/tx, interval, flowing, handshakes ($p)" \
	jqe '.endpoint == "198.18.2.2:51820" and .handshake_age >= 0 and .rx_bytes > 0 and
	       .tx_bytes > 0 and .interval == 5 and (.flowing|type) == "boolean" and .handshakes >= 1' <<<"$p"

# --- the transfer, and the move in the middle of it
head -c $((96 << 20)) /dev/urandom >"$WORK/payload"
capture s1-black wan "$WORK/s1-wan.pcap"
ip netns exec s1-lan timeout 120 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/received",creat,trunc &
rx=$!
wait_for 5 sh -c "ip netns exec s1-lan ss -ltn | grep -q ':5001 '"
hs_before=$(peer s1 s2 | jq -r .latest_handshake)
ip netns exec s2-lan timeout 120 socat -u OPEN:"$WORK/payload" TCP:10.1.1.10:5001 &
tx=$!
# The move comes at the first 8 MiB, not after the status check below: that
# waits for a peer poll (every 5 s), and a transfer done by then left s2 with
# nothing to send from its new address, so s1 never learnt it (WireGuard roams
# only on an authenticated packet from the peer) and the path stayed dead until
# s2's next keepalive: the "no packet from the new address" of 1 run in 3.
wait_for 10 sh -c "[ \$(stat -c %s '$WORK/received' 2>/dev/null || echo 0) -gt $((8 << 20)) ]"
got_at_move=$(stat -c %s "$WORK/received")
# The move: s2-black's uplink is now the second link, still called wan (black's
# rules name its WAN port), with the address 198.19.2.2 and a new gateway. One
# ip batch: a box switches its uplink at once, not over four process starts.
t_move=$(date +%s.%N)
nsx s2-black ip -batch - <<-EOF
	link set wan down
	link set wan name wan-old
	link set wan2 name wan
	route replace default via 198.19.2.1 dev wan
EOF
check "the move happened mid-transfer ($got_at_move of $((96 << 20)) bytes received, sender running)" \
	eval '[ "$got_at_move" -lt $((96 << 20)) ] && kill -0 "$tx" 2>/dev/null'
# A poll covers the last 5 s, so it still sees the transfer even if it just ended.
check "status shows traffic flowing from s2 during the transfer" \
	wait_for 12 sh -c "'$UMBRAL' -N s1 status --json | jq -e '.domains.crypto.wireguard.peers[] | select(.site==\"s2\") | .flowing' >/dev/null"
wait "$tx"; txrc=$?
wait "$rx"
stop_captures
check "the transfer completed (sender exit 0)" [ "$txrc" -eq 0 ]
check "96 MiB s2-lan -> s1-lan arrived with the same SHA-256 across the move" \
	[ "$(sha256sum <"$WORK/payload")" = "$(sha256sum <"$WORK/received" 2>/dev/null)" ]
check "s1's peer s2 now has the endpoint 198.19.2.2:51820" \
	[ "$(peer s1 s2 | jq -r .endpoint)" = 198.19.2.2:51820 ]
# The gap: last WireGuard packet from the old address, first from the new one.
gap=$(tcpdump -tt -nn -r "$WORK/s1-wan.pcap" 'udp and dst port 51820 and (src host 198.18.2.2 or src host 198.19.2.2)' 2>/dev/null |
	awk '{ split($3, a, "."); src = a[1]"."a[2]"."a[3]"."a[4]
	       if (src == "198.18.2.2") last_old = $1
	       else if (!first_new) first_new = $1 }
	     END { if (first_new && last_old) printf "%.0f", (first_new - last_old) * 1000; else print "none" }')
echo "roaming gap on s1's WAN (last packet from 198.18.2.2 -> first from 198.19.2.2): ${gap} ms"
check "packets from the new address arrived (gap measured: $gap ms)" [ "$gap" != none ]
t_move_ms=$(awk -v t="$t_move" 'BEGIN { printf "%.0f", t * 1000 }')
inits=$(tcpdump -tt -nn -r "$WORK/s1-wan.pcap" 'udp and port 51820 and udp[8] = 1' 2>/dev/null |
	awk -v t="$t_move_ms" '$1 * 1000 >= t' | wc -l)
check "no handshake initiation crossed s1's WAN after the move (roaming, no re-key): $inits" [ "$inits" -eq 0 ]
check "s1's last handshake with s2 is the one from before the move" \
	[ "$(peer s1 s2 | jq -r .latest_handshake)" = "$hs_before" ]
check "s1-lan still reaches s2-lan after the move" wait_for 10 ping_ok s1-lan 10.2.1.10
