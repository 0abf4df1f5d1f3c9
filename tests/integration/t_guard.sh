#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The box's own defences (issue 7): port scans from the internet and from the LAN
# find nothing open and get no answer; a junk flood on WireGuard's port raises an
# alarm naming its source, is blocked at black, ends with a cleared alarm, leaves a
# tunnel stream most of its throughput, and never blocks the peer.
. "$(dirname "$0")/lib.sh"

status_json() { "$UMBRAL" -N "$1" status --json; }

"$LAB" up --sites 2 || exit 1
check "s1-lan reaches s2-lan through the tunnel" wait_for 20 ping_ok s1-lan 10.2.1.10

# --- 1. scans. nmap from inet (198.18.1.1 on s1's link) at s1-black's WAN.
capture inet s1 "$WORK/scan-wan.pcap"
capture s1-black to-crypto "$WORK/scan-crypto.pcap"
nsx inet nmap -n -Pn -sS -p- --min-rate 20000 --max-retries 1 -oG "$WORK/tcp-wan.txt" 198.18.1.2 >/dev/null 2>&1
nsx inet nmap -n -Pn -sU -p- --min-rate 20000 --max-retries 0 -oG "$WORK/udp-wan.txt" 198.18.1.2 >/dev/null 2>&1
nsx inet nmap -6 -n -Pn -sS -p- --min-rate 20000 --max-retries 1 -oG "$WORK/tcp6-wan.txt" 2001:db8:1::2 >/dev/null 2>&1
stop_captures
check "nmap ran its TCP and UDP scans of s1-black's WAN to the end" \
	sh -c "grep -q 'Nmap done' '$WORK/tcp-wan.txt' && grep -q 'Nmap done' '$WORK/udp-wan.txt'"
check "TCP scan of 198.18.1.2: no port open" sh -c "! grep -q '/open/' '$WORK/tcp-wan.txt'"
check "TCP scan of 2001:db8:1::2: no port open" \
	sh -c "grep -q 'Nmap done' '$WORK/tcp6-wan.txt' && ! grep -q '/open/' '$WORK/tcp6-wan.txt'"
check "UDP scan of 198.18.1.2: no port open" sh -c "! grep -q '/open/' '$WORK/udp-wan.txt'"
check "the capture on inet saw the scanner's probes (control for the next check)" \
	[ "$(count_packets "$WORK/scan-wan.pcap" 'ip and src host 198.18.1.1 and dst host 198.18.1.2')" -gt 1000 ]
check "not one packet from s1-black's WAN addresses answered the scanner (pcap on inet)" \
	[ "$(count_packets "$WORK/scan-wan.pcap" '(ip and src host 198.18.1.2 and dst host 198.18.1.1) or (ip6 and src host 2001:db8:1::2 and not icmp6)')" -eq 0 ]
check "the scanner's probes of udp/51820 reached crypto (WireGuard's port is forwarded)" \
	[ "$(count_packets "$WORK/scan-crypto.pcap" 'src host 198.18.1.1 and udp dst port 51820')" -gt 0 ]
check "and no other scan probe did" \
	[ "$(count_packets "$WORK/scan-crypto.pcap" 'src host 198.18.1.1 and not udp dst port 51820')" -eq 0 ]

# From the LAN: red's gateway address answers DHCP only; crypto and black nothing.
capture s1-lan eth0 "$WORK/scan-lan.pcap"
targets="10.1.1.1 169.254.1.1 169.254.3.1 169.254.1.2 169.254.2.1 169.254.2.2 169.254.3.2"
nsx s1-lan nmap -n -Pn -sS -p- --min-rate 20000 --max-retries 1 -oG "$WORK/tcp-lan.txt" $targets >/dev/null 2>&1
nsx s1-lan nmap -n -Pn -sU -p- --min-rate 20000 --max-retries 0 -oG "$WORK/udp-lan.txt" $targets >/dev/null 2>&1
stop_captures
check "TCP scan from s1-lan of red, crypto and black: no port open" \
	sh -c "grep -q 'Nmap done' '$WORK/tcp-lan.txt' && ! grep -q '/open/' '$WORK/tcp-lan.txt'"
check "UDP scan from s1-lan: nothing open but red's DHCP server (udp/67)" \
	sh -c "grep -q 'Nmap done' '$WORK/udp-lan.txt' && ! grep -oE '[0-9]+/open/udp' '$WORK/udp-lan.txt' | grep -qv '^67/'"
check "the capture on s1-lan saw the scanner's probes (control for the next check)" \
	[ "$(count_packets "$WORK/scan-lan.pcap" 'src host 10.1.1.10 and (tcp or udp)')" -gt 1000 ]
check "no TCP or UDP answer from any domain reached s1-lan (only ICMP errors may)" \
	[ "$(count_packets "$WORK/scan-lan.pcap" "(tcp or (udp and not port 67 and not port 68)) and dst host 10.1.1.10")" -eq 0 ]
# No listener but WireGuard (crypto) and DHCP (red); the control sockets are unix sockets.
check "crypto listens on nothing but WireGuard's udp/51820" \
	sh -c "[ -z \"\$(ip netns exec s1-crypto ss -Htuln | grep -v ':51820 ')\" ]"
check "black listens on nothing" sh -c "[ -z \"\$(ip netns exec s1-black ss -Htuln)\" ]"
check "red listens on nothing but DHCP (udp/67)" \
	sh -c "[ -z \"\$(ip netns exec s1-red ss -Htuln | grep -v ':67 ')\" ]"
check "no rule that must never match has matched (status of s1)" \
	sh -c "'$UMBRAL' -N s1 status --json | jq -e '[.domains[].guard.never] | all(. == 0)' >/dev/null"

# Red answers the LAN's pings, but no faster than its limit (50/s, burst 100).
nsx s1-lan ping -q -i 0.002 -c 1000 -W 1 10.1.1.1 >"$WORK/pingflood" 2>&1
answered=$(awk '/transmitted/ {print $4}' "$WORK/pingflood")
took=$(awk '/transmitted/ {sub("ms", "", $NF); print int($NF / 1000) + 1}' "$WORK/pingflood")
most=$((100 + 50 * ${took:-0} + 20))
check "a ping flood of red gets only the limit's worth of answers ($answered of 1000 in ${took} s, limit $most)" \
	sh -c "[ '${answered:-0}' -ge 50 ] && [ '${answered:-0}' -le $most ]"

# A plaintext packet for another site that reaches black from red hits a rule that
# must never match: written straight onto red's wire to black (a packet socket
# passes red's own filter, as a compromised red would), it is dropped, counted and
# alarmed.
cat >"$WORK/inject.py" <<'PY'
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
dst_mac = bytes.fromhex(sys.argv[1].replace(":", ""))
icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"UMBRAL-NEVER" * 4
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                 socket.inet_aton("10.1.1.10"), socket.inet_aton("10.2.1.10"))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("to-black", 0))
src_mac = s.getsockname()[4]
for _ in range(3):
    s.send(dst_mac + src_mac + b"\x08\x00" + ip + icmp)
PY
black_mac=$(nsx s1-black cat /sys/class/net/to-red/address)
capture s1-black wan "$WORK/never-wan.pcap"
nsx s1-red python3 "$WORK/inject.py" "$black_mac"
never_alarm() { status_json s1 | jq -e '.domains.black.guard.never >= 3'; }
check "black counts the 3 packets on its never-match rules (within 5 s)" wait_for 5 never_alarm
check "status says so: ALERT ... must never match" \
	sh -c "'$UMBRAL' -N s1 status | grep -q 'ALERT: [0-9]* packets hit rules that must never match'"
stop_captures
check "none of them left black's WAN" \
	[ "$(count_packets "$WORK/never-wan.pcap" 'icmp and host 10.2.1.10')" -eq 0 ]
check "the alarm is in black's audit log (never-match)" \
	sh -c "'$UMBRAL' -N s1 log --json | jq -e '[.[] | select(.kind == \"never-match\" and .domain == \"black\")] | length >= 1' >/dev/null"

# --- 2. a junk flood on s1's WireGuard port while s2-lan streams to s1-lan.
bg nsx s1-lan iperf3 -s -B 10.1.1.10 >/dev/null 2>&1
wait_for 5 sh -c "ip netns exec s1-lan ss -Htln | grep -q ':5201 '"
stream() { nsx s2-lan iperf3 -c 10.1.1.10 -t "$1" -J | jq '.end.sum_received.bits_per_second / 1e6 | floor'; }
# median3: the median of three 3 s streams (one sample on this shared 2-core
# host strays by a tenth or more either way).
median3() { { stream 3; stream 3; stream 3; } | sort -n | sed -n 2p; }
base=$(median3)
echo "# unflooded stream s2-lan -> s1-lan: $base Mbit/s (median of 3)"
# 20 s of junk at about 5000 packets/s from inet (198.18.1.1), paced in bursts:
# five times the per-source limit. (At 20000/s the sender's own CPU, on this
# shared 2-core host, cost the stream up to a quarter: that measured the host.)
# The attacker would have a machine of its own: its sender runs at the lowest
# CPU priority here, so that it competes with the box as little as it can on a
# shared 2-core host. (Black's drops run in the sender's softirq all the same.)
cat >"$WORK/flood.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
junk, end, sent = b"\x01" + bytes(99), time.time() + float(sys.argv[1]), 0
start = time.time()
while time.time() < end:
    for _ in range(200):
        s.sendto(junk, ("198.18.1.2", 51820))
    sent += 200
    ahead = sent / 5000.0 - (time.time() - start)
    if ahead > 0:
        time.sleep(ahead)
print(sent)
EOF
# Only the flood's packets: copying the stream's too cost it a fifth.
capture s1-black to-crypto "$WORK/flood-crypto.pcap" src host 198.18.1.1
flood_start=$SECONDS
nsx inet nice -n 19 python3 "$WORK/flood.py" 20 >"$WORK/flood.sent" &
fp=$!
alarm() { status_json s1 | jq -e '.domains.black.guard.flood and ([.domains.black.guard.top_sources[].address] | index("198.18.1.1"))'; }
check "within 5 s black's status raises the flood alarm naming 198.18.1.1" wait_for 5 alarm
check "the source is in black's block set (control for the checks of s2 below)" \
	sh -c "ip netns exec s1-black nft list set inet umbral block4 | grep -q '198.18.1.1'"
echo "# alarm after $((SECONDS - flood_start)) s"
"$UMBRAL" -N s1 status | grep ALERT | sed 's/^/# /'
flooded=$(median3)
echo "# flooded stream: $flooded Mbit/s (median of 3)"
echo "# flooded/unflooded: $((flooded * 100 / (base > 0 ? base : 1))) % (target 80 %)"
check "both streams ran (numbers, not empty: $base and $flooded Mbit/s)" \
	sh -c "[ '${base:-0}' -gt 0 ] && [ '${flooded:-0}' -ge 0 ] 2>/dev/null && [ -n '$flooded' ]"
check "the stream keeps at least 80 % of its throughput under the flood ($flooded of $base Mbit/s)" \
	[ "$((${flooded:-0} * 100))" -ge "$((${base:-1} * 80))" ]
wait "$fp"
stop_captures
sent=$(cat "$WORK/flood.sent")
through=$(count_packets "$WORK/flood-crypto.pcap" 'src host 198.18.1.1 and udp dst port 51820')
echo "# flood: $sent junk packets sent, $through reached crypto"
check "black blocked the flood: at most about a burst of $sent junk packets reached crypto" \
	sh -c "[ '$through' -gt 0 ] && [ '$through' -le 4000 ] && [ '$sent' -gt 50000 ]"
check "peer s2 (198.18.2.2) is not in black's block set" \
	sh -c "! ip netns exec s1-black nft list set inet umbral block4 | grep -q '198.18.2.2'"
# Junk that claims to come from the peer's own endpoint (spoofed from inet) is
# never blocked: blocking it would cut s2 off, which is what the attacker wants.
cat >"$WORK/spoof.py" <<'PY'
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
src, dst = socket.inet_aton("198.18.2.2"), socket.inet_aton("198.18.1.2")
# From port 40000: a new flow, so no conntrack entry exempts it; only the peer set does.
udp = struct.pack("!HHHH", 40000, 51820, 8 + 100, 0) + b"\x01" + bytes(99)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
for _ in range(50):  # 5000 packets in about a second
    for _ in range(100):
        s.sendto(ip + udp, ("198.18.1.2", 0))
    time.sleep(0.02)
PY
capture s1-black wan "$WORK/spoof-wan.pcap"
nsx inet python3 "$WORK/spoof.py"
stop_captures
check "the spoofed junk reached black's WAN ($(count_packets "$WORK/spoof-wan.pcap" 'src host 198.18.2.2 and udp src port 40000') packets)" \
	[ "$(count_packets "$WORK/spoof-wan.pcap" 'src host 198.18.2.2 and udp src port 40000')" -gt 2500 ]
check "5000 junk packets spoofed from s2's endpoint: 198.18.2.2 is not blocked" \
	sh -c "! ip netns exec s1-black nft list set inet umbral block4 | grep -q '198.18.2.2'"
check "and s2 still answers through the tunnel" ping_ok s1-lan 10.2.1.10
cleared() { status_json s1 | jq -e '.domains.black.guard.flood == false'; }
check "the alarm clears after the flood stops" wait_for 40 cleared
check "s2 still answers through the tunnel" ping_ok s1-lan 10.2.1.10
check "black's audit log has the flood's start and end (dos-alert)" \
	sh -c "'$UMBRAL' -N s1 log --json | jq -e '[.[] | select(.kind == \"dos-alert\" and .domain == \"black\")] | length >= 2' >/dev/null"
check "the start names the source" \
	sh -c "'$UMBRAL' -N s1 log --json | jq -e '[.[] | select(.kind == \"dos-alert\") | .summary | select(test(\"began.*198.18.1.1\"))] | length >= 1' >/dev/null"
check "and umbrald logged it (the log syslog gets with --syslog)" \
	grep -q 'ALERT: flood on udp/51820 began' /run/umbral-lab/logs/s1-black.log
