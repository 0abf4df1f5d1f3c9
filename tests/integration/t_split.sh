#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The policy engine (issue 3): split tunnelling by destination, service and
# source; what `umbral explain` says against what the kernel does; the kill
# switch under link loss and repeated re-applies. Three sites, small node.
. "$(dirname "$0")/lib.sh"

U() { "$UMBRAL" -N s1 "$@" >/dev/null; }
# http NS PORT: a GET to inet-srv answers 200
http() { printf 'GET / HTTP/1.0\r\n\r\n' | nsx s1-lan timeout 3 socat - TCP:203.0.113.80:"$1",connect-timeout=2 2>/dev/null | head -n 1 | grep -q ' 200 '; }
no_http() { ! http "$1"; }
loss() { awk '/packets transmitted/ {print $1 - $4}' "$1"; }

"$LAB" up --sites 3 || exit 1
pass "lab up: 3 sites"
check "s1 reaches s2 and s3 through the tunnel" \
	bash -c "$(declare -f nsx ping_ok wait_for); wait_for 20 ping_ok s1-lan 10.2.1.10 && wait_for 20 ping_ok s1-lan 10.3.1.10"
servers=()
for p in 80 8080; do
	ip netns exec inet-srv sh -c "cd / && exec python3 -m http.server $p --bind 203.0.113.80" >/dev/null 2>&1 &
	servers+=($!)
done
for p in 80 8080; do
	wait_for 10 sh -c "ip netns exec inet-srv ss -ltn | grep -q ':$p '" || fail "http server on :$p did not start"
done
# Secure traffic keeps flowing through every policy change of parts 1 and 2.
ip netns exec s1-lan ping -i 0.2 10.2.1.10 >"$WORK/ping-s2" 2>&1 &
ping2=$!
ip netns exec s1-lan ping -i 0.2 10.3.1.10 >"$WORK/ping-s3" 2>&1 &
ping3=$!

# --- 1. direct by destination and service, NATed to black's address
check "default drop: s1-lan cannot fetch from inet-srv" no_http 80
capture inet-srv eth0 "$WORK/srv.pcap"
capture s1-black wan "$WORK/wan.pcap"
U split add 10 --action direct --dst 203.0.113.0/24 --proto tcp --port 80
check "direct rule for 203.0.113.0/24 tcp/80: the fetch works" http 80
stop_captures
check "inet-srv saw the fetch come from 198.18.1.2 (source NAT)" \
	[ "$(count_packets "$WORK/srv.pcap" 'tcp port 80 and src host 198.18.1.2')" -gt 0 ]
check "inet-srv saw no LAN address" [ "$(count_packets "$WORK/srv.pcap" 'src net 10.0.0.0/8')" -eq 0 ]
check "the fetch left through s1-black's wan" \
	[ "$(count_packets "$WORK/wan.pcap" 'tcp port 80 and host 203.0.113.80')" -gt 0 ]
check "tcp/8080 is not in the rule: dropped by default" no_http 8080
U node set --default direct
check "default direct: tcp/8080 works" http 8080
U split add 20 --action drop --dst 203.0.113.80/32 --proto tcp --port 8080
check "per service: tcp/8080 to inet-srv dropped by rule 20" no_http 8080
check "per service: tcp/80 to inet-srv still direct" http 80
U node set --default drop
U split del 10
check "rule 10 removed, default drop: the fetch fails" no_http 80
# A flow that a rule allowed ends with the rule. Outbound, red's marks already
# stop it; inbound, the internet side keeps sending on the established flow,
# and only conntrack (red's entry, deleted when the rule goes) could let that in.
# Red finds the flow among those it follows from conntrack events (HOW=tracked),
# or, with the namespace's events off, in a dump of the table (HOW="in the table").
red_ct() { "$UMBRAL" -N s1 status --json | jq -c .domains.red.conntrack; }
udp_flow_ends_with_rule() {
	local prio=$1 how=$2 us uc n1
	U split add "$prio" --action direct --dst 203.0.113.80/32 --proto udp --port 5000
	# inet-srv: after the first datagram, answers its sender 10 times a second.
	ip netns exec inet-srv python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("203.0.113.80", 5000))
_, peer = s.recvfrom(100)
for _ in range(150):
    s.sendto(b"x", peer)
    time.sleep(0.1)
' &
	us=$!
	sleep 0.5
	# s1-lan: one datagram out, then counts what comes back in "$WORK/udp-in".
	rm -f "$WORK/udp-in"
	ip netns exec s1-lan python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.1.1.10", 7000))
s.sendto(b"hi", ("203.0.113.80", 5000))
n = 0
while True:
    s.recv(100)
    n += 1
    open(sys.argv[1], "w").write(str(n))
' "$WORK/udp-in" &
	uc=$!
	check "udp/5000 to inet-srv direct by rule $prio: its answers come in" \
		wait_for 5 sh -c "[ \$(cat '$WORK/udp-in' 2>/dev/null || echo 0) -gt 3 ]"
	# A capture on the WAN (promiscuous mode: the kernel announces the link
	# again) is not the WAN moving: black keeps its NAT bindings.
	n0=$(inbound)
	capture s1-black wan "$WORK/ct-wan0.pcap"
	sleep 1
	stop_captures
	check "  ... a capture on s1-black's wan leaves the flow alone ($n0 then $(inbound))" \
		[ "$(inbound)" -gt $((n0 + 5)) ]
	log_lines=$(wc -l </run/umbral-lab/logs/s1-red.log)
	U split del "$prio"
	sleep 0.5
	n1=$(inbound)
	capture s1-black wan "$WORK/ct-wan.pcap"
	sleep 2
	stop_captures
	check "  ... inet-srv kept sending on the flow: its datagrams reached s1-black's WAN (control)" \
		[ "$(count_packets "$WORK/ct-wan.pcap" 'udp and src host 203.0.113.80 and src port 5000')" -ge 5 ]
	check "rule $prio removed: none of them reaches s1-lan any more ($n1 then $(inbound))" \
		[ "$(inbound)" -eq "$n1" ]
	# Only what red logged for this removal: an earlier prune says the same words.
	check "red's log: this removal found the flow $how and deleted it" \
		sh -c "tail -n +$((log_lines + 1)) /run/umbral-lab/logs/s1-red.log |
			grep -q '1 flow the new policy routes differently deleted, of [0-9]* $how'"
	kill "$us" "$uc" 2>/dev/null
	wait "$us" "$uc" 2>/dev/null
}
inbound() { cat "$WORK/udp-in" 2>/dev/null || echo 0; }
check "red follows its flows from conntrack events (status: complete)" \
	sh -c "'$UMBRAL' -N s1 status --json | jq -e '.domains.red.conntrack.complete' >/dev/null"
udp_flow_ends_with_rule 60 tracked
nsx s1-red sysctl -qw net.netfilter.nf_conntrack_events=0
check "events off in s1-red: status says the flows are not tracked, and why" \
	sh -c "'$UMBRAL' -N s1 status | grep -q 'conntrack: flows not tracked (net.netfilter.nf_conntrack_events is 0)'"
udp_flow_ends_with_rule 61 "in the table"
nsx s1-red sysctl -qw net.netfilter.nf_conntrack_events=2
U split add 62 --action drop --dst 192.0.2.62/32 # any change: the prune reads the table again
U split del 62
check "events back on: after the next change the flows are tracked again ($(red_ct))" \
	sh -c "'$UMBRAL' -N s1 status --json | jq -e '.domains.red.conntrack.complete' >/dev/null"

# --- 2. explain agrees with the kernel for every case
U node set --default direct
U split add 10 --action direct --dst 203.0.113.0/24 --proto tcp --port 80
U split add 30 --action tunnel --site s2 --dst 198.51.100.0/24
U split add 40 --action drop --src 10.1.1.20/32 --proto udp
U split add 50 --action direct --dst 10.2.0.0/16 --proto tcp --port 22 2>/dev/null ||
	pass "a direct rule for a secure prefix is refused"
nsx s1-lan ip addr add 10.1.1.20/24 dev eth0
capture s1-red to-crypto "$WORK/x-crypto.pcap"
capture s1-red to-black "$WORK/x-black.pcap"
cases=()
for src in 10.1.1.10 10.1.1.20; do
	for dst in 10.2.1.10 10.3.1.10 203.0.113.80 198.51.100.7 192.0.2.9; do
		for svc in "tcp 80" "tcp 8080" "tcp 443" "udp 53" "udp 5000" "icmp"; do
			cases+=("$src $dst $svc")
			set -- $svc
			case $1 in
			tcp) echo | nsx s1-lan timeout 0.3 socat - "TCP:$dst:$2,bind=$src,connect-timeout=0.2" >/dev/null 2>&1 ;;
			udp) echo x | nsx s1-lan timeout 0.3 socat - "UDP:$dst:$2,bind=$src" >/dev/null 2>&1 ;;
			icmp) nsx s1-lan ping -c 1 -W 0.2 -I "$src" "$dst" >/dev/null 2>&1 ;;
			esac
		done
	done
done
stop_captures
agree=0
for c in "${cases[@]}"; do
	set -- $c
	case $3 in
	icmp) f="icmp and src host $1 and dst host $2" ;;
	*) f="$3 and src host $1 and dst host $2 and dst port $4" ;;
	esac
	seen=neither
	[ "$(count_packets "$WORK/x-crypto.pcap" "$f")" -gt 0 ] && seen=tunnel
	[ "$(count_packets "$WORK/x-black.pcap" "$f")" -gt 0 ] && seen=direct
	said=$("$UMBRAL" -N s1 explain "$@" --json | jq -r .path)
	case $said in drop | local) said=neither ;; esac
	if [ "$said" = "$seen" ]; then agree=$((agree + 1)); else echo "  explain $c: said $said, kernel $seen"; fi
done
check "umbral explain agrees with the kernel in all ${#cases[@]} cases ($agree agreed)" [ "$agree" -eq "${#cases[@]}" ]
check "explain names the rule that decided" \
	sh -c "'$UMBRAL' -N s1 explain 10.1.1.10 203.0.113.80 tcp 80 | grep -q 'direct (split rule 10'"
check "explain: another site's prefix goes to that site" \
	sh -c "'$UMBRAL' -N s1 explain 10.1.1.10 10.3.1.10 udp 53 | grep -q 'tunnel to site s3'"
check "explain: a tunnel rule's destination goes to its site" \
	sh -c "'$UMBRAL' -N s1 explain 10.1.1.10 198.51.100.7 | grep -q 'tunnel to site s2'"

# An auditor reads each table with nft: every field named (ip daddr, not
# @nh,128,32), and the listing loads back as it is into an empty namespace.
ip netns del ub-audit 2>/dev/null # a run cut short left it
ip netns add ub-audit
for d in red crypto black; do
	nsx "s1-$d" nft list table inet umbral >"$WORK/$d.nft"
	check "s1-$d's table as nft lists it names every field and loads back with nft -f" \
		sh -c "! grep -q '@nh,\|@th,' '$WORK/$d.nft' && ip netns exec ub-audit nft -f '$WORK/$d.nft' &&
			ip netns exec ub-audit nft delete table inet umbral"
done
ip netns del ub-audit

kill -INT "$ping2" "$ping3" 2>/dev/null
wait "$ping2" "$ping3"
for s in 2 3; do
	check "secure traffic to s$s kept flowing through every change (lost $(loss "$WORK/ping-s$s") of $(awk '/transmitted/ {print $1}' "$WORK/ping-s$s"))" \
		[ "$(loss "$WORK/ping-s$s")" -le 1 ]
done

# A site removed: red deletes the flows to it, and only those (the prune
# explains only flows to a prefix that came or went). After the ping
# streams: s3 is unreachable until it is back.
ct_udp() { nsx s1-red conntrack -L -p udp -d "$1" --dport 9999 2>/dev/null | grep -c 'dport=9999'; }
s3=$("$UMBRAL" -N s1 site list --json | jq -c '.[] | select(.name == "s3")')
nsx s1-lan python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for dst in ("10.2.1.10", "10.3.1.10"):
    s.sendto(b"x", (dst, 9999))'
check "datagrams to s2-lan and s3-lan: red has a flow to each" \
	[ "$(ct_udp 10.2.1.10)" -eq 1 -a "$(ct_udp 10.3.1.10)" -eq 1 ]
U site del s3
check "s3 removed from s1: red deleted the flow to s3-lan" [ "$(ct_udp 10.3.1.10)" -eq 0 ]
check "  ... and kept the flow to s2-lan" [ "$(ct_udp 10.2.1.10)" -eq 1 ]
# shellcheck disable=SC2046 # one word per option, as site list gave them
U site add s3 $(jq -r '"--key \(.public_key) --endpoint \(.endpoint) --keepalive \(.keepalive) " +
	([.prefixes[] | "--prefix " + .] | join(" "))' <<<"$s3")
check "s3 added back as it was" \
	[ "$("$UMBRAL" -N s1 site list --json | jq -c '.[] | select(.name == "s3")')" = "$s3" ]
check "  ... and s3-lan answers again" wait_for 15 ping_ok s1-lan 10.3.1.10

# --- 3. kill switch: link down, and 100 re-applies, put nothing secure on black
capture s1-black wan "$WORK/k-wan.pcap"
capture s1-black to-red "$WORK/k-red.pcap"
capture s1-black to-crypto "$WORK/k-crypto.pcap"
nsx s1-red ip link set to-crypto down
check "red's link to crypto down: s1-lan gets no answer from s2" \
	bash -c "! ip netns exec s1-lan ping -c 5 -i 0.1 -W 1 10.2.1.10 >/dev/null"
nsx s1-red ip link set to-crypto up
check "link back: umbrald restores the route and s2 answers" wait_for 15 ping_ok s1-lan 10.2.1.10
ip netns exec s1-lan ping -i 0.05 -w 20 10.2.1.10 >"$WORK/ping-reapply" 2>&1 &
pr=$!
ok=0
for i in $(seq 100); do "$UMBRAL" -N s1 reload >/dev/null && ok=$((ok + 1)); done
kill -INT "$pr" 2>/dev/null
wait "$pr"
check "100 re-applies all succeeded" [ "$ok" -eq 100 ]
check "traffic flowed through the re-applies (lost $(loss "$WORK/ping-reapply") of $(awk '/transmitted/ {print $1}' "$WORK/ping-reapply"))" \
	[ "$(loss "$WORK/ping-reapply")" -le 1 ]
# Each daemon SIGKILLed in turn, then WireGuard itself, while s1-lan streams to s2.
ip netns exec s1-lan ping -i 0.05 10.2.1.10 >"$WORK/ping-kill" 2>&1 &
pk=$!
# gone PID: the process has ended (a zombie the lab's shell has not reaped counts).
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
applied_all() { "$UMBRAL" -N s1 status --json | jq -e '[.domains[].applied] | all and length == 3'; }
# started_new DOMAIN OLD_PID: the lab starts it and its PID is a new one.
started_new() { "$LAB" start s1 "$1" && [ "$("$LAB" pid s1 "$1")" != "$2" ]; }
applied_answers() { wait_for 15 applied_all && wait_for 15 ping_ok s1-lan 10.2.1.10; }
for d in red crypto black; do
	old=$("$LAB" pid s1 "$d")
	kill -9 "$old"
	wait_for 5 gone "$old"
	# The kernel keeps the tables, routes and wg0: s2 answering alone would not show the restart.
	check "after SIGKILL of s1's $d umbrald: a new one starts" started_new "$d" "$old"
	check "  ... all three domains applied, s2 answers" applied_answers
done
kill -9 "$(cat /run/umbral/s1/crypto-wg0.uapi.pid)"
sleep 0.5
check "wireguard-go SIGKILLed: crypto rebuilds wg0 and s2 answers again" \
	wait_for 20 ping_ok s1-lan 10.2.1.10
kill -INT "$pk" 2>/dev/null
wait "$pk"
check "the stream through the kills got answers ($(awk '/transmitted/ {print $4}' "$WORK/ping-kill") received)" \
	[ "$(awk '/transmitted/ {print $4}' "$WORK/ping-kill")" -gt 0 ]
stop_captures
for f in wan red crypto; do
	check "kill switch: no packet of s1-lan's secure traffic on s1-black $f" \
		[ "$(count_packets "$WORK/k-$f.pcap" 'net 10.2.0.0/16 or net 10.3.0.0/16')" -eq 0 ]
done
check "red's never-match rules counted nothing (they count into the named counter never)" \
	sh -c "ip netns exec s1-red nft list chain inet umbral forward | grep to-black | grep -c 'counter name \"never\" drop' | grep -qx 4 &&
	       ip netns exec s1-red nft list counter inet umbral never | grep -q 'packets 0 '"

kill "${servers[@]}" 2>/dev/null

# --- 4. per-site kill switch: s2's path dies while s1 sends to it. The limit is
# 180 s; crypto restarted with UMBRAL_STALE_AFTER=6 keeps the test short.
stale() { "$UMBRAL" -N s1 status --json | jq -e '.domains.crypto.wireguard.peers[] | select(.site == "s2") | .stale' >/dev/null; }
old=$("$LAB" pid s1 crypto)
kill "$old"
wait_for 5 gone "$old"
check "crypto restarted with UMBRAL_STALE_AFTER=6" env UMBRAL_STALE_AFTER=6 "$LAB" start s1 crypto
wait_for 20 ping_ok s1-lan 10.2.1.10
nsx inet ip link set s2 down # the internet loses s2 (its own side keeps its routes)
ip netns exec s1-lan ping -i 0.5 10.2.1.10 >"$WORK/ping-stale" 2>&1 &
ps_pid=$!
check "s2 silent, s1 sending: status marks s2 stale within 6 s + a poll" wait_for 25 stale
check "status says why: ALERT for site s2" \
	sh -c "'$UMBRAL' -N s1 status | grep -q 'ALERT: site s2: no handshake'"
check "s2's prefix is unreachable in s1-crypto, s3's still goes to wg0" \
	sh -c "ip netns exec s1-crypto ip route show table all | grep -q '^unreachable 10.2.0.0/16' &&
		ip netns exec s1-crypto ip route get 10.3.1.10 | grep -q 'dev wg0'"
check "s1-lan is told at once: ICMP unreachable for s2" \
	sh -c "ip netns exec s1-lan ping -c 1 -W 2 10.2.1.10 | grep -q 'Unreachable'"
check "s3 unaffected" ping_ok s1-lan 10.3.1.10
nsx inet ip link set s2 up
check "s2's path back: the handshake returns and s2 answers again" wait_for 60 ping_ok s1-lan 10.2.1.10
not_stale() { "$UMBRAL" -N s1 status --json | jq -e '.domains.crypto.wireguard.peers[] | select(.site == "s2") | .stale == false' >/dev/null; }
check "the alert clears" wait_for 10 not_stale
check "the audit log has the alarm and its end (crypto, handshake-alarm)" \
	sh -c "'$UMBRAL' -N s1 log --json | jq -e '[.[] | select(.kind == \"handshake-alarm\" and .domain == \"crypto\")] | length >= 2' >/dev/null"
kill -INT "$ps_pid" 2>/dev/null
wait "$ps_pid" || true # ping says 1 when it lost packets: the checks above judge
