#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The small node's DHCP server (issue 4): a LAN host configured by busybox
# udhcpc reaches the other site and the internet; static leases; leases kept
# across a restart of red's umbrald; 50 clients; pool exhaustion; malformed
# packets dropped and counted while the server keeps serving.
. "$(dirname "$0")/lib.sh"

U() { "$UMBRAL" -N s1 "$@" >/dev/null; }
stat_of() { "$UMBRAL" -N s1 dhcp stats --json | jq -r ".dhcp.$1"; }
in_pool() { # in_pool IP: 10.1.1.100-10.1.1.254, the pool derived from red's 10.1.1.1/24
	local last=${1##*.}
	[ "${1%.*}" = 10.1.1 ] && [ "$last" -ge 100 ] && [ "$last" -le 254 ]
}

# The script udhcpc runs: records what it was given, configures the interface.
cat >"$WORK/script" <<'EOS'
#!/bin/sh
d=$(dirname "$0")
env | grep -E '^(ip|subnet|mask|router|dns|domain|lease|serverid|mtu)=' | sed "s/=\(.*\)/='\1'/" | sort >"$d/$interface-$1.env"
case $1 in
deconfig) ip -4 addr flush dev "$interface" ;;
bound | renew)
	ip addr replace "$ip/$mask" dev "$interface"
	[ "$interface" = eth0 ] && [ -n "$router" ] && ip route replace default via "$router" dev "$interface"
	echo "$ip" >>"$d/$interface.ips" ;;
esac
exit 0
EOS
chmod +x "$WORK/script"
# A client that only records the address it got (for the many-clients parts).
cat >"$WORK/record" <<'EOS'
#!/bin/sh
[ "$1" = bound ] && echo "$ip" >"$(dirname "$0")/got/$interface"
exit 0
EOS
chmod +x "$WORK/record"
mkdir -p "$WORK/got"
# one_shot IFACE [udhcpc options]: gets a lease and exits (0) or gives up (1).
one_shot() {
	local i=$1; shift
	ip netns exec s1-lan udhcpc -i "$i" -f -q -n -t 3 -T 1 -A 1 -s "$WORK/record" "$@" >"$WORK/$i.log" 2>&1
}
# macvlans NAME COUNT MAC_PREFIX: COUNT clients on s1-lan's eth0, each with its own MAC.
macvlans() {
	local n
	for n in $(seq "$2"); do
		nsx s1-lan ip link add "$1$n" link eth0 address "$3:$(printf %02x "$n")" type macvlan mode bridge
		nsx s1-lan ip link set "$1$n" up
	done
}

"$LAB" up --sites 2 || exit 1
pass "lab up: 2 sites"
check "red serves DHCP on lan with no DHCP configuration" [ "$(stat_of serving)" = true ]
check "the derived pool is 10.1.1.100-10.1.1.254" [ "$(stat_of pool)" = 10.1.1.100-10.1.1.254 ]
U dhcp set --dns 203.0.113.53,203.0.113.54 --domain site1.example --lease-time 600 --mtu 1400
U node set --default direct
check "the DHCP settings are in the policy (show config)" \
	sh -c "'$UMBRAL' -N s1 show config | grep -q -- '--dns 203.0.113.53,203.0.113.54 --domain site1.example --lease-time 600 --mtu 1400'"
check "a bad pool is refused, naming the field (exit 2)" \
	bash -c "'$UMBRAL' -N s1 dhcp set --pool 10.1.1.200-10.1.1.100 2>&1 | grep -q 'dhcp: pool'; [ \${PIPESTATUS[0]} -eq 2 ]"

# --- 1. a LAN host configured by DHCP reaches the other site and the internet
nsx s1-lan ip -4 addr flush dev eth0
nsx s1-lan ip -4 route flush dev eth0 2>/dev/null
ip netns exec s1-lan udhcpc -i eth0 -f -t 5 -T 1 -O mtu -x hostname:lanhost1 -s "$WORK/script" >"$WORK/eth0.log" 2>&1 &
client=$!
BG_PIDS+=($client)
check "udhcpc on s1-lan gets a lease" wait_for 15 test -s "$WORK/eth0-bound.env"
. "$WORK/eth0-bound.env" 2>/dev/null
addr=${ip:-none}
check "the address $addr is in the pool" in_pool "$addr"
check "the router option is red (10.1.1.1)" [ "${router:-}" = 10.1.1.1 ]
check "the DNS option carries both servers" [ "${dns:-}" = "203.0.113.53 203.0.113.54" ]
check "the domain, lease time and MTU options are as set" \
	[ "${domain:-}/${lease:-}/${mtu:-}" = "site1.example/600/1400" ]
check "s1-lan's eth0 has $addr and a default route via red" \
	sh -c "ip -n s1-lan -4 addr show eth0 | grep -q 'inet $addr/24' && ip -n s1-lan route show default | grep -q 'via 10.1.1.1'"
check "the DHCP host reaches s2-lan through the tunnel" wait_for 20 ping_ok s1-lan 10.2.1.10
check "the DHCP host reaches inet-srv (direct)" wait_for 10 ping_ok s1-lan 203.0.113.80
check "dhcp leases lists $addr as bound to lanhost1" \
	sh -c "'$UMBRAL' -N s1 dhcp leases --json | jq -e '.[] | select(.ip == \"$addr\" and .state == \"bound\" and .hostname == \"lanhost1\")' >/dev/null"

# --- 2. a static lease gives the same address every time
macvlans st 1 02:00:00:00:05
U dhcp static add 02:00:00:00:05:01 10.1.1.50 printer
same=0
for i in 1 2 3; do
	rm -f "$WORK/got/st1"
	one_shot st1 -R && [ "$(cat "$WORK/got/st1" 2>/dev/null)" = 10.1.1.50 ] && same=$((same + 1))
done
check "the static lease gives 10.1.1.50 three times out of three ($same)" [ "$same" -eq 3 ]

# --- 2b. conflict avoidance: an address someone already uses is not offered
conflicts=$(stat_of probe_conflicts)
nsx s1-lan ip addr add 10.1.1.101/24 dev eth0 # a squatter on the next free address
macvlans cf 1 02:00:00:00:08
one_shot cf1
check "a new client gets an address, not the squatted 10.1.1.101 ($(cat "$WORK/got/cf1" 2>/dev/null))" \
	sh -c "[ -s '$WORK/got/cf1' ] && ! grep -qx 10.1.1.101 '$WORK/got/cf1'"
check "the ARP probe's conflict is counted" [ "$(stat_of probe_conflicts)" -gt "$conflicts" ]
check "dhcp leases shows 10.1.1.101 declined" \
	sh -c "'$UMBRAL' -N s1 dhcp leases --json | jq -e '.[] | select(.ip == \"10.1.1.101\" and .state == \"declined\")' >/dev/null"

# --- 3. restarting red's umbrald keeps the active lease; the client renews it
pid=$("$LAB" pid s1 red)
kill "$pid"
wait_for 5 sh -c "! kill -0 $pid"
"$LAB" start s1 red
check "after the restart, dhcp leases still lists $addr as bound" \
	sh -c "'$UMBRAL' -N s1 dhcp leases --json | jq -e '.[] | select(.ip == \"$addr\" and .state == \"bound\")' >/dev/null"
rm -f "$WORK/eth0-renew.env"
kill -USR1 "$client"
check "the client renews with the new umbrald" wait_for 10 test -s "$WORK/eth0-renew.env"
check "and keeps its address $addr" sh -c "grep -qx \"ip='$addr'\" '$WORK/eth0-renew.env'"
check "no address other than $addr was ever given to eth0" [ "$(sort -u "$WORK/eth0.ips" | wc -l)" -eq 1 ]
check "the DHCP host still reaches s2-lan" wait_for 10 ping_ok s1-lan 10.2.1.10

# --- 4. 50 clients with distinct MACs get 50 distinct addresses
macvlans mv 50 02:00:00:00:06
for n in $(seq 50); do one_shot "mv$n" & done
wait_for 60 sh -c "[ \$(ls '$WORK/got' | grep -c '^mv') -ge 50 ]"
got=$(cat "$WORK"/got/mv* 2>/dev/null | sort -u | wc -l)
inpool=0
for f in "$WORK"/got/mv*; do in_pool "$(cat "$f")" && inpool=$((inpool + 1)); done
check "50 clients got 50 distinct addresses ($got)" [ "$got" -eq 50 ]
check "all 50 are in the pool ($inpool)" [ "$inpool" -eq 50 ]
check "none of them is the static, the squatted or eth0's address" \
	sh -c "! cat '$WORK'/got/mv* | grep -qxE '10.1.1.50|10.1.1.101|$addr'"
check "dhcp leases shows at least 51 bound leases" \
	[ "$("$UMBRAL" -N s1 dhcp leases --json | jq '[.[] | select(.state == "bound")] | length')" -ge 51 ]

# --- 5. malformed packets are dropped and counted; the server keeps serving
before=$(stat_of dropped_malformed)
nsx s1-lan /usr/bin/python3 - "$addr" <<'EOF'
import socket, struct, sys
def dhcp(op=1, magic=b"\x63\x82\x53\x63", opts=b"\x35\x01\x01\xff"):
    hdr = struct.pack("!BBBBIHHIIII", op, 1, 6, 0, 0x1234, 0, 0, 0, 0, 0, 0)
    return hdr + b"\x02\x00\x00\x00\x09\x09" + b"\x00" * 10 + b"\x00" * 192 + magic + opts
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 68))
for p in (dhcp()[:100],                                 # truncated
          dhcp(opts=b"\x35\x01\x01\x0c\xf0abc"),         # option length past the end
          dhcp(magic=b"\xde\xad\xbe\xef"),              # wrong magic cookie
          dhcp(opts=b"\x35\x01\x01" + b"\x00" * 1400)): # oversized (over 1472 bytes)
    s.sendto(p, ("10.1.1.1", 67))
EOF
check "4 malformed packets counted as dropped" wait_for 5 sh -c "[ \$('$UMBRAL' -N s1 dhcp stats --json | jq .dhcp.dropped_malformed) -ge $((before + 4)) ]"
check "each kind is counted under its reason (truncated, option overrun, bad cookie, oversize)" \
	sh -c "'$UMBRAL' -N s1 dhcp stats --json | jq -e '.dhcp.dropped | .truncated >= 1 and .option_overrun >= 1 and .bad_cookie >= 1 and .oversize >= 1' >/dev/null"
check "red's umbrald is still the same process" kill -0 "$("$LAB" pid s1 red)"
check "umbral status shows the malformed counter" \
	sh -c "'$UMBRAL' -N s1 status | grep -q 'malformed dropped'"
rm -f "$WORK/got/st1"
check "the server keeps serving: the static client gets 10.1.1.50 again" \
	sh -c "$(declare -f one_shot); WORK='$WORK' one_shot st1 -R && grep -qx 10.1.1.50 '$WORK/got/st1'"

# --- 6. pool exhaustion: no OFFER, a counted event, no crash
U dhcp set --pool 10.1.1.100-10.1.1.104
macvlans ex 6 02:00:00:00:07
for n in 1 2 3 4 5; do one_shot "ex$n"; done
ex_before=$(stat_of pool_exhausted)
one_shot ex6
check "a client beyond the pool gets no lease" [ ! -e "$WORK/got/ex6" ]
check "and was sent no OFFER (udhcpc never selected one)" sh -c "! grep -q 'select for' '$WORK/ex6.log'"
check "the exhausted pool is counted ($ex_before -> $(stat_of pool_exhausted))" \
	[ "$(stat_of pool_exhausted)" -gt "$ex_before" ]
check "red's umbrald survived the exhaustion" kill -0 "$("$LAB" pid s1 red)"
U dhcp set --pool auto
rm -f "$WORK/got/ex6"
check "with the pool back, the same client gets a lease" one_shot ex6
