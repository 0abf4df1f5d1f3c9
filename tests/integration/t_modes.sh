#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Small node and large node (issue 4): a large node forwards only secure
# traffic, answers the rest with ICMP administratively prohibited, serves no
# DHCP and sends nothing out of black; LAN routes to prefixes behind the
# site's router; switching small -> large -> small keeps a secure ping and a
# TCP stream alive.
. "$(dirname "$0")/lib.sh"

U() { "$UMBRAL" -N s1 "$@" >/dev/null; }
dhcp_serving() { "$UMBRAL" -N s1 dhcp stats --json | jq -r .dhcp.serving; }
loss() { awk '/packets transmitted/ {print $1 - $4}' "$1"; }

"$LAB" up --sites 2 || exit 1
pass "lab up: 2 sites"
check "s1-lan reaches s2-lan" wait_for 20 ping_ok s1-lan 10.2.1.10
U node set --default direct
check "small node: s1-lan reaches inet-srv directly" wait_for 10 ping_ok s1-lan 203.0.113.80
check "small node: red serves DHCP" [ "$(dhcp_serving)" = true ]

# A secure ping and a TCP stream run through every mode change below.
ip netns exec s1-lan ping -i 0.2 10.2.1.10 >"$WORK/ping" 2>&1 &
pinger=$!
ip netns exec s2-lan socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/stream",creat,trunc &
rx=$! # not in BG_PIDS: stop_captures would end it
wait_for 5 sh -c "ip netns exec s2-lan ss -ltn | grep -q ':5001 '"
ip netns exec s1-lan sh -c 'for i in $(seq 100); do echo "line $i"; sleep 0.15; done' |
	ip netns exec s1-lan socat -u - TCP:10.2.1.10:5001 &
tx=$!

# --- large node
capture s1-red lan "$WORK/lan.pcap"
capture s1-black wan "$WORK/wan.pcap"
capture s1-black to-red "$WORK/tored.pcap"
U node set --mode large
check "large node: red serves no DHCP" [ "$(dhcp_serving)" = false ]
check "dhcp stats says why" sh -c "'$UMBRAL' -N s1 dhcp stats | grep -q 'off: large node'"
nsx s1-lan ping -c 3 -i 0.3 -W 1 203.0.113.80 >"$WORK/prohibited" 2>&1
check "large node: a ping to inet-srv gets no answer" grep -q ', 0 received' "$WORK/prohibited"
check "ping reports it administratively filtered" grep -qiE 'filtered|prohibited' "$WORK/prohibited"
check "a TCP connection to inet-srv is refused at once" \
	bash -c "! ip netns exec s1-lan timeout 3 socat -u - TCP:203.0.113.80:80,connect-timeout=2 </dev/null 2>'$WORK/tcp.err'; grep -qiE 'no route to host|unreachable|prohibited' '$WORK/tcp.err'"
check "large node: secure traffic still flows to s2-lan" ping_ok s1-lan 10.2.1.10
stop_captures
check "red answered with ICMP unreachable, admin prohibited (type 3 code 13)" \
	[ "$(count_packets "$WORK/lan.pcap" 'icmp and src host 10.1.1.1 and icmp[0] = 3 and icmp[1] = 13')" -ge 3 ]
check "nothing for inet-srv reached black from red" [ "$(count_packets "$WORK/tored.pcap" 'host 203.0.113.80')" -eq 0 ]
check "nothing for inet-srv left black's wan" [ "$(count_packets "$WORK/wan.pcap" 'host 203.0.113.80')" -eq 0 ]
check "black has no path from red to the wan (no NAT of LAN traffic)" \
	sh -c "! ip netns exec s1-black nft list chain inet umbral forward | grep -q 'iifname \"to-red\" oifname \"wan\" accept'"

# --- LAN routes: prefixes behind the site's own router (s1-lan plays it)
nsx s1-lan sysctl -qw net.ipv4.ip_forward=1
nsx s1-lan ip addr add 10.1.5.1/24 dev lo
nsx s1-lan ip addr add 172.16.1.1/24 dev lo
check "without a LAN route, s2-lan cannot reach 10.1.5.1" bash -c "! ip netns exec s2-lan ping -c 2 -i 0.3 -W 1 10.1.5.1 >/dev/null"
U lan route add 10.1.5.0/24 via 10.1.1.10
check "lan route add 10.1.5.0/24 via 10.1.1.10: s2-lan reaches 10.1.5.1 through the tunnel" \
	wait_for 10 ping_ok s2-lan 10.1.5.1
check "before its LAN route, 172.16.1.1 is not this site's (explain)" \
	sh -c "! '$UMBRAL' -N s1 explain 10.1.1.50 172.16.1.1 | grep -q '^local'"
U lan route add 172.16.1.0/24 via 10.1.1.10
check "a LAN route outside the node's prefixes makes it this site's: explain says local" \
	sh -c "'$UMBRAL' -N s1 explain 10.1.1.50 172.16.1.1 | grep -q '^local (this site'"
check "red routes it via the gateway" sh -c "ip -n s1-red route show 172.16.1.0/24 | grep -q 'via 10.1.1.10 dev lan'"
"$UMBRAL" -N s2 site del s1 >/dev/null
"$UMBRAL" -N s2 site add s1 --key "$(cat /run/umbral-lab/s1/public.key)" --endpoint 198.18.1.2:51820 \
	--keepalive 25 --prefix 10.1.0.0/16 fd00:0:1::/48 172.16.1.0/24 >/dev/null
check "once s2 knows the new prefix, s2-lan reaches 172.16.1.1 behind s1's router" \
	wait_for 20 ping_ok s2-lan 172.16.1.1
check "lan route del removes the route and the prefix" \
	sh -c "'$UMBRAL' -N s1 lan route del 172.16.1.0/24 >/dev/null && ! ip -n s1-red route show 172.16.1.0/24 | grep -q via && ! '$UMBRAL' -N s1 show config | grep -q 172.16.1.0/24 && ! '$UMBRAL' -N s1 explain 10.1.1.50 172.16.1.1 | grep -q '^local'"

# --- back to small, then large and small again, while the stream runs
U node set --mode small
check "small again: red serves DHCP" wait_for 5 sh -c "[ \"\$('$UMBRAL' -N s1 dhcp stats --json | jq -r .dhcp.serving)\" = true ]"
check "small again: s1-lan reaches inet-srv directly" wait_for 10 ping_ok s1-lan 203.0.113.80
U mode large
check "umbral mode large: red serves no DHCP" [ "$(dhcp_serving)" = false ]
U mode small
check "umbral mode small -> large -> small: inet-srv reachable" wait_for 10 ping_ok s1-lan 203.0.113.80
wait "$tx"
check "the TCP stream to s2-lan lived through every switch (exit 0)" [ $? -eq 0 ]
wait_for 5 sh -c "! kill -0 $rx" || kill "$rx" 2>/dev/null
check "all 100 lines of the stream arrived ($(wc -l <"$WORK/stream"))" [ "$(wc -l <"$WORK/stream")" -eq 100 ]
kill -INT "$pinger"
wait "$pinger"
check "the secure ping lost at most 1 packet through every switch (lost $(loss "$WORK/ping") of $(awk '/transmitted/ {print $1}' "$WORK/ping"))" \
	[ "$(loss "$WORK/ping")" -le 1 ]
