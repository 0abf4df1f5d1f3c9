#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The walking skeleton (issue 2): two sites talk through red -> crypto -> black,
# only ciphertext crosses black, crypto going down leaks nothing, daemons can die
# without stopping traffic, and the CLI refuses bad changes.
. "$(dirname "$0")/lib.sh"

# ping_all NS DST COUNT: every one of COUNT echo requests is answered.
ping_all() { nsx "$1" ping -c "$3" -i 0.1 -W 2 "$2" 2>&1 | grep -q " $3 received"; }
no_link() { ! nsx "$1" ip link show "$2" >/dev/null 2>&1; }
status_json() { "$UMBRAL" -N "$1" status --json; }
revision() { status_json "$1" | jq -r '.revision'; }
applied() { status_json "$1" | jq -e '.consistent and ([.domains[].applied]|all)' >/dev/null; }

"$LAB" up --sites 2 || exit 1
pass "lab up: 2 sites configured only through umbral"

# --- 1. ping both ways, then a 10 MiB transfer with matching checksum
check "s1-lan reaches s2-lan through the tunnel" wait_for 20 ping_ok s1-lan 10.2.1.10
check "ping s1-lan -> s2-lan: 5 of 5 answered" ping_all s1-lan 10.2.1.10 5
check "ping s2-lan -> s1-lan: 5 of 5 answered" ping_all s2-lan 10.1.1.10 5

canary="UMBRAL-CANARY-$RANDOM$RANDOM-PLAINTEXT-"
python3 -c 'import sys; c=sys.argv[1].encode(); n=10<<20; sys.stdout.buffer.write((c*(n//len(c)+1))[:n])' \
	"$canary" >"$WORK/payload"
capture s1-black wan "$WORK/wan.pcap"
capture s1-black to-crypto "$WORK/black-to-crypto.pcap"
capture s1-black to-red "$WORK/black-to-red.pcap"
capture s1-red lan "$WORK/red-lan.pcap" # control: plaintext is allowed here
ip netns exec s2-lan timeout 60 socat -u TCP-LISTEN:5001,reuseaddr OPEN:"$WORK/received",creat,trunc &
rx=$!
wait_for 5 sh -c "ip netns exec s2-lan ss -ltn | grep -q ':5001 '"
nsx s1-lan timeout 60 socat -u OPEN:"$WORK/payload" TCP:10.2.1.10:5001
wait "$rx"
stop_captures
check "10 MiB TCP s1-lan -> s2-lan arrives with the same SHA-256" \
	[ "$(sha256sum <"$WORK/payload")" = "$(sha256sum <"$WORK/received" 2>/dev/null)" ]
wg_pair='udp and ((src host 198.18.1.2 and src port 51820 and dst host 198.18.2.2 and dst port 51820) or (src host 198.18.2.2 and src port 51820 and dst host 198.18.1.2 and dst port 51820))'
n=$(count_packets "$WORK/wan.pcap" "$wg_pair")
check "s1-black wan carried the transfer as WireGuard UDP 198.18.1.2:51820 <-> 198.18.2.2:51820 ($n packets; $(grep -ho '[0-9]* packets dropped by kernel' "$WORK/wan.pcap.log"))" \
	[ "$n" -gt 5000 ]
check "s1-black wan carried no other IPv4 packet" \
	[ "$(count_packets "$WORK/wan.pcap" "ip and not ($wg_pair)")" -eq 0 ]
check "s1-black wan carried no IPv6 beyond link-local housekeeping" \
	[ "$(count_packets "$WORK/wan.pcap" 'ip6 and not src net fe80::/10 and not src host ::')" -eq 0 ]
for f in wan black-to-crypto black-to-red; do
	check "the payload pattern never appears on s1-black $f" bash -c "! grep -aqF '$canary' '$WORK/$f.pcap'"
done
check "control: the payload pattern does appear on s1-red lan" has_bytes "$WORK/red-lan.pcap" "$canary"
check "s2-crypto dropped no ciphertext for want of socket buffer (UdpRcvbufErrors 0)" \
	[ "$(nsx s2-crypto nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/ {print $2}')" = 0 ]
check "wireguard-go's UDP sockets have umbrald's 7 MiB buffers" \
	sh -c "ip netns exec s1-crypto ss -uanm 'sport = :51820' | grep -q 'rb14680064'"

# --- 3. crypto down: nothing leaks to black, and it comes back
cpid=$("$LAB" pid s1 crypto)
wgpid=$(status_json s1 | jq -r '.domains.crypto.wireguard.pid')
check "status names the WireGuard process" [ "${wgpid:-0}" -gt 0 ]
kill -STOP "$cpid" # so that nothing heals while we look
kill "$wgpid"
check "wg0 disappears when wireguard-go is stopped" wait_for 5 no_link s1-crypto wg0
capture s1-black wan "$WORK/down-wan.pcap"
capture s1-black to-crypto "$WORK/down-crypto.pcap"
capture s1-black to-red "$WORK/down-red.pcap"
check "with crypto's WireGuard down, s1-lan gets no answer from s2-lan" \
	bash -c "! ip netns exec s1-lan ping -c 10 -i 0.1 -W 1 10.2.1.10 >/dev/null"
for i in $(seq 20); do echo "$canary" | nsx s1-lan timeout 1 socat -u - UDP:10.2.1.10:5002 2>/dev/null; done
stop_captures
for f in wan crypto red; do
	check "crypto down: no packet to or from 10.0.0.0/8 on s1-black $f" \
		[ "$(count_packets "$WORK/down-$f.pcap" 'net 10.0.0.0/8 or net fd00::/8')" -eq 0 ]
	check "crypto down: the pattern never reaches s1-black $f" bash -c "! grep -aqF '$canary' '$WORK/down-$f.pcap'"
done
kill -CONT "$cpid"
check "umbrald rebuilds WireGuard and the tunnel comes back" wait_for 20 ping_ok s1-lan 10.2.1.10
nsx s1-crypto ip link del wg0
check "wg0 deleted by hand: umbrald puts it back" wait_for 10 nsx s1-crypto ip link show wg0
check "and traffic flows again" wait_for 20 ping_ok s1-lan 10.2.1.10

# --- 4. SIGKILL of any daemon: traffic goes on; a restart changes nothing
for d in red crypto black; do
	before=$(ruleset "s1-$d")
	routes_before=$(nsx "s1-$d" ip route show table all; nsx "s1-$d" ip rule)
	kill -KILL "$("$LAB" pid s1 "$d")"
	check "s1 $d umbrald SIGKILLed: 20 of 20 pings still answered" ping_all s1-lan 10.2.1.10 20
	"$LAB" start s1 "$d"
	check "s1 $d umbrald restarted and applied" wait_for 10 applied s1
	check "s1 $d restart re-applies with no change to the nftables ruleset" \
		[ "$before" = "$(ruleset "s1-$d")" ]
	check "s1 $d restart leaves routes and rules as they were" \
		[ "$routes_before" = "$(nsx "s1-$d" ip route show table all; nsx "s1-$d" ip rule)" ]
done
check "traffic still flows after all restarts" ping_all s1-lan 10.2.1.10 5

# --- 5. status --json
st=$(status_json s1)
check "status --json shows three domains at one revision" \
	jq -e '(.domains|keys) == ["black","crypto","red"] and .consistent and
	       .domains.red.revision == .domains.crypto.revision and
	       .domains.crypto.revision == .domains.black.revision and .revision > 0' <<<"$st"
check "status --json: peer s2 with a recent handshake and byte counters" \
	jq -e '.domains.crypto.wireguard.peers[] | select(.site == "s2") |
	       .handshake_age != null and .handshake_age < 180 and .rx_bytes > 0 and .tx_bytes > 0' <<<"$st"

# --- 6. bad changes are refused, named, and change nothing
rev=$(revision s1)
s2key=$(cat /run/umbral-lab/s2/public.key)
other=$(wg genkey | wg pubkey)
bad() { # bad WHAT EXPECTED-MESSAGE umbral-args...
	local what=$1 msg=$2 out rc; shift 2
	out=$("$UMBRAL" -N s1 "$@" 2>&1); rc=$?
	check "$what: exit 2" [ "$rc" -eq 2 ]
	check "$what: message names it ($msg)" grep -qF -- "$msg" <<<"$out"
}
bad "bad key" "key notakey" site add s9 --key notakey --prefix 10.9.0.0/16
bad "bad CIDR length" "prefix 10.9.0.0/33: length must be 0-32" site add s9 --key "$other" --prefix 10.9.0.0/33
bad "CIDR with host bits" "10.9.1.0/16: host bits are set" site add s9 --key "$other" --prefix 10.9.1.0/16
bad "duplicate name" "site s2: name: already exists" site add s2 --key "$other" --prefix 10.9.0.0/16
bad "overlapping prefix" "overlaps 10.2.0.0/16 of site s2" site add s9 --key "$other" --prefix 10.2.5.0/24
bad "reused key" "key: already used by site s2" site add s9 --key "$s2key" --prefix 10.9.0.0/16
bad "missing key" "key: --key PUBLIC_KEY is required" site add s9 --prefix 10.9.0.0/16
check "no bad change moved the revision" [ "$(revision s1)" = "$rev" ]

# A good change: one revision on all domains, the prefix reaches the kernel, and goes again.
check "site add s9 succeeds" "$UMBRAL" -N s1 site add s9 --key "$other" --prefix 10.9.0.0/16
check "site add s9 is revision $((rev + 1)) everywhere" [ "$(revision s1)" = "$((rev + 1))" ]
check "red's remote set holds 10.9.0.0/16" \
	sh -c "ip netns exec s1-red nft list set inet umbral remote4 | grep -q 10.9.0.0/16"
check "crypto sends 10.9.0.0/16 into wg0, where s9's allowed-ips take it" \
	sh -c "ip netns exec s1-crypto ip route get 10.9.1.1 | grep -q 'dev wg0' &&
		'$UMBRAL' -N s1 status --json | jq -e '[.domains.crypto.wireguard.peers[].allowed_ips[]] | index(\"10.9.0.0/16\")' >/dev/null"
check "site del s9 succeeds" "$UMBRAL" -N s1 site del s9
check "s9 is gone from red's remote set" \
	sh -c "! ip netns exec s1-red nft list set inet umbral remote4 | grep -q 10.9.0.0/16"
check "site list --json lists s2 only" \
	jq -e 'map(.name) == ["s2"]' <<<"$("$UMBRAL" -N s1 site list --json)"
check "umbral --help and per-command --help work" \
	sh -c "'$UMBRAL' --help | grep -q 'site add' && '$UMBRAL' site add --help | grep -q -- '--prefix'"
