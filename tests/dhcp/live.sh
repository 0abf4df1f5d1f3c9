#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# tests/dhcp/live.sh — by hand, as root: the DHCP server against real clients
# in two throwaway namespaces (hdhcp-1 server, hdhcp-2 clients). Gets a lease
# with udhcpc, restarts the server and renews (ACK from the reloaded lease),
# then dhclient on a macvlan while 10.77.1.101 is squatted (ARP probe).
# Usage: tests/dhcp/live.sh [BUILD_DIR]   (default build; build-san works too)
set -eu
B=${1:-build}; T=$(mktemp -d /tmp/hdhcp.XXXXXX)
cc -std=gnu11 -D_GNU_SOURCE -I. -g $( [ "$B" = build-san ] && echo -fsanitize=address,undefined ) \
	-o "$T/dhcpd_live" tests/dhcp/dhcpd_live.c "$B/libumbral.a" -lev -lnftnl -lmnl -lsodium -lsqlite3
SRV=""; CL=""
cleanup() {
	[ -n "$CL" ] && kill "$CL" 2>/dev/null || true
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
	sleep 0.3; ip netns del hdhcp-1 2>/dev/null || true; ip netns del hdhcp-2 2>/dev/null || true
}
trap cleanup EXIT
cat > "$T/udhcpc.sh" <<EOS
#!/bin/sh
env | grep -E '^(ip|subnet|router|dns|domain|lease|serverid)=' | sort > $T/udhcpc-\$1.env
case \$1 in bound|renew) ip addr replace \$ip/24 dev \$interface ;; esac
EOS
printf '#!/bin/sh\nenv | grep -E "^new_(ip_address|routers|domain_name_servers|interface_mtu)=" | sort > %s/dhclient-$reason.env\n' "$T" > "$T/dhclient.sh"
chmod +x "$T/udhcpc.sh" "$T/dhclient.sh"
ip netns add hdhcp-1; ip netns add hdhcp-2
ip link add lan netns hdhcp-1 type veth peer name eth0 netns hdhcp-2
ip -n hdhcp-1 addr add 10.77.1.1/24 dev lan; ip -n hdhcp-1 link set lan up; ip -n hdhcp-2 link set eth0 up
server() { ip netns exec hdhcp-1 "$T/dhcpd_live" lan 10.77.1.1/24 10.77.1.100 10.77.1.150 "$T/db" >>"$T/server.log" 2>&1 & SRV=$!; sleep 0.5; }
server
echo "== udhcpc"; ip netns exec hdhcp-2 udhcpc -i eth0 -f -x hostname:client2 -s "$T/udhcpc.sh" >"$T/udhcpc.log" 2>&1 & CL=$!
sleep 2; cat "$T/udhcpc.log"; cat "$T/udhcpc-bound.env"
echo "== restart the server, then renew"; kill "$SRV"; wait "$SRV" || true; server
kill -USR1 "$CL"; sleep 2; tail -2 "$T/udhcpc.log"
echo "== dhclient on a macvlan, 10.77.1.101 squatted"
ip -n hdhcp-2 addr add 10.77.1.101/24 dev eth0
ip -n hdhcp-2 link add cl2 link eth0 type macvlan mode bridge; ip -n hdhcp-2 link set cl2 up
timeout 30 ip netns exec hdhcp-2 dhclient -1 -sf "$T/dhclient.sh" -lf "$T/dl" -pf "$T/dp" cl2
cat "$T/dhclient-BOUND.env"
# dhclient went to the background once bound: -r stops it (its pid file) and sends RELEASE.
timeout 10 ip netns exec hdhcp-2 dhclient -r -sf "$T/dhclient.sh" -lf "$T/dl" -pf "$T/dp" cl2
kill "$CL"; CL=""; kill "$SRV"; wait "$SRV" || true; SRV=""
echo "== server"; cat "$T/server.log"
rm -rf "$T"
