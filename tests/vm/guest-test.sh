#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside each guest of check-vm (as /etc/umbral/test.sh, after the boot):
# the boot-time fail-closed check passed (guest-boot-hook.sh); crypto,
# restarted as at the next boot, unlocks its sealed key with the test key
# file; the daemons run unprivileged; the node imports the roster that the
# host, as network authority, signed for both nodes (guest-lib.sh: key out and
# roster in over ttyS1, the authority's key from the image); this node's lan
# reaches the other node's lan over kernel WireGuard, a 5 MiB checksummed
# transfer crosses (ROLE send: this lan sends; recv: it receives, checks and
# answers with the SHA-256 it got), and `wg show` lists the peer umbrald
# configured. ROLE send then adds a site of 250 prefixes (more than one
# netlink message) with `site add`, on top of the roster, and rebuilds a lost
# wg0 with `umbral reload`.
# Prints ok/FAIL lines and exits with the failure count.
# Variables: node.conf, and test.conf (ROLE PEER_SITE PEER_LAN PEER_PREFIX).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# busybox sh runs its own applets before PATH: the real tools by path.
ip() { /usr/sbin/ip "$@"; }
modprobe() { /usr/sbin/modprobe "$@"; }
. /etc/umbral/node.conf
. /etc/umbral/test.conf
. /etc/umbral/test-lib.sh
PASS=0
FAIL=0
SIZE=5242880
pass() { PASS=$((PASS + 1)); echo "ok - $NODE: $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $NODE: $*"; }
check() { what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
nsx() { ns=$1; shift; ip netns exec "$ns" "$@"; }
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" '{printf "%.1f", $1 - a}' /proc/uptime; }
# The payload both sides can make: 5 MiB of decimal counting, no repeats.
payload() { seq 1 1000000 | head -c $SIZE; }
dump_logs() {
	for d in crypto red black; do echo "--- umbrald $d log"; cat "/var/log/umbral/$d.log"; done
	echo "--- status"; umbral -N "$NODE" status
	echo "--- crypto routes"; ip -n crypto route show table all | grep -v local
	echo "--- black routes"; ip -n black route
	echo "--- dmesg"; dmesg | tail -40
}
finish() {
	[ "$FAIL" -eq 0 ] || dump_logs
	echo "umbral-test: $NODE: $PASS passed, $FAIL failed"
	exit "$FAIL"
}

echo "umbral-test: $NODE ($ROLE) starting at $(now) s"
if [ "$(cat /run/umbral-boot.status 2>/dev/null)" != ok ]; then
	fail "boot: $(cat /run/umbral-boot.status 2>/dev/null)"
	finish
fi
pass "boot built the domains, the daemons applied, ports up"

# The test key file (rcS's UNLOCK_FILE) at boot: on this first boot crypto had
# no key to unlock, and `key generate` sealed a new one under the file. The
# next boot's crypto must open that sealed key with the file alone: restart
# crypto's umbrald with rcS's command line and see it come back unlocked.
crypto_pid() {
	for p in $(ip netns pids crypto); do
		# Not wireguard-go's launcher, crypto's own child.
		[ "$(cat "/proc/$p/comm")" = umbrald ] &&
			[ "$(cat "/proc/$(awk '/^PPid:/{print $2}' "/proc/$p/status")/comm")" != umbrald ] &&
			echo "$p"
	done
}
restart_crypto() { # sets UNLOCK_FILE, the file crypto was started with
	pid=$(crypto_pid)
	[ -n "$pid" ] || return 1
	args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	case $args in *" --unlock-file "*) ;; *) echo "    no --unlock-file: $args"; return 1 ;; esac
	UNLOCK_FILE=${args#* --unlock-file }
	UNLOCK_FILE=${UNLOCK_FILE%% *}
	kill "$pid"
	i=0
	while [ -d "/proc/$pid" ]; do i=$((i + 1)); [ $i -lt 100 ] || return 1; sleep 0.1; done
	rm -f "/run/umbral/$NODE/crypto.sock"
	nsx crypto env ${UMBRAL_NL_DUMP:+UMBRAL_NL_DUMP=$UMBRAL_NL_DUMP} $args \
		>>/var/log/umbral/crypto.log 2>&1 </dev/null &
	i=0
	until umbral -N "$NODE" status --json >/tmp/status.json 2>/dev/null &&
		grep -q '"consistent":true' /tmp/status.json &&
		[ "$(grep -o '"applied":true' /tmp/status.json | wc -l)" -eq 3 ]; do
		i=$((i + 1)); [ $i -lt 100 ] || return 1
		sleep 0.2
	done
}
key0=$(umbral -N "$NODE" key public)
logsize=$(wc -c </var/log/umbral/crypto.log)
t=$(now)
restart_crypto
rc=$?
check "crypto restarted as at the next boot, all three domains applied (in $(since "$t") s)" [ $rc -eq 0 ]
check "it unlocked the sealed key with the test key file ($UNLOCK_FILE)" \
	sh -c "tail -c +$((logsize + 1)) /var/log/umbral/crypto.log | grep -q 'crypto: unlocked with $UNLOCK_FILE'"
check "it holds the same key ($key0)" [ "$(umbral -N "$NODE" key public)" = "$key0" ]

# Least privilege (issue 7): started as root by rcS, each umbrald (and crypto's
# wireguard-go launcher) runs as umbral (902), with no_new_privs and seccomp.
unprivileged() { # NS
	n=0
	for p in $(ip netns pids "$1"); do
		[ "$(cat "/proc/$p/comm")" = umbrald ] || continue
		grep -q '^Uid:[[:space:]]*902[[:space:]]' "/proc/$p/status" &&
			grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$p/status" &&
			grep -q '^Seccomp:[[:space:]]*2' "/proc/$p/status" || return 1
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}
for d in red crypto black; do
	check "umbrald $d runs as umbral with no_new_privs and a seccomp filter" unprivileged "$d"
done
check "boot turned on fs.protected_hardlinks and protected_symlinks" \
	[ "$(cat /proc/sys/fs/protected_hardlinks /proc/sys/fs/protected_symlinks)" = "1
1" ]
f=$(cat /run/umbral-boot-hook.fails 2>/dev/null)
check "boot-time fail-closed check ran before the daemons, no failure (lines 'boot:' above)" [ "$f" = 0 ]

# The roster: key announced to the host, the signed roster back (guest-lib.sh).
t=$(now)
roster_fetch "$key0"
rc=$?
check "roster from the host's authority over ttyS1, $([ -s "$ROSTER" ] && wc -c <"$ROSTER" || echo 0) bytes, checksum ok (in $(since "$t") s)" [ $rc -eq 0 ]
[ -s "$ROSTER" ] || finish
check "the damaged copy the host sends first was dropped, not imported ($ROSTER_DROPPED dropped)" \
	[ "$ROSTER_DROPPED" -ge 1 ]
check "peer_join: authority pinned in all three domains, roster imported" peer_join
[ -n "$PEER_PUB" ] || finish
check "roster status: network vm, serial 1" \
	sh -c "umbral -N '$NODE' roster status | tr '\n' ' ' | grep -q 'network vm serial 1 '"
echo "--- umbral log | grep roster-import"
umbral -N "$NODE" log | grep roster-import | cut -c 1-150 | sed 's/^/    /'
check "umbral log: roster-import, ok, in red, crypto and black" \
	[ "$(umbral -N "$NODE" log | grep -E ' roster-import revision [0-9]+ ok: roster import' |
		awk '{print $3}' | sort -u | tr '\n' ' ')" = "black crypto red " ]
# A listening busybox nc half-closes when its own stdin ends: let it hand the
# connection to cat instead (-e), which exits when the sender is done.
[ "$ROLE" = recv ] && { nsx lan timeout 150 nc -l -p 5001 -e sh -c 'cat >/tmp/rx' </dev/null & rxpid=$!; }
[ "$ROLE" = send ] && { nsx lan timeout 150 nc -l -p 5002 -e sh -c 'cat >/tmp/ack' </dev/null & ackpid=$!; }

st=$(umbral -N "$NODE" status --json)
check "status --json: WireGuard backend is the kernel's" \
	sh -c "echo '$st' | grep -q '\"backend\":\"kernel\"'"
check "wg0 is a kernel wireguard link in crypto" \
	sh -c "/usr/sbin/ip -n crypto -d link show wg0 | grep -q wireguard"

t=$(now)
i=0
until nsx lan ping -c 1 -W 1 "$PEER_LAN" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 60 ] || break
done
check "lan reaches $PEER_LAN through the tunnel (first answer after $(since "$t") s)" \
	nsx lan ping -c 1 -W 2 "$PEER_LAN"
check "ping $PEER_LAN: 5 of 5 answered" \
	sh -c "/usr/sbin/ip netns exec lan ping -c 5 -i 0.2 -W 2 $PEER_LAN | grep -q ' 5 packets received'"

want=$(payload | sha256sum | cut -d' ' -f1)
if [ "$ROLE" = send ]; then
	t=$(now)
	sent=no
	for i in $(seq 30); do
		if payload | nsx lan timeout 100 nc "$PEER_LAN" 5001; then sent=yes; break; fi
		sleep 1
	done
	check "5 MiB sent to $PEER_LAN:5001 ($(since "$t") s)" [ $sent = yes ]
	wait "$ackpid"
	check "the receiver got the same SHA-256 ($want)" grep -q "^OK $want" /tmp/ack
else
	wait "$rxpid"
	got=$(sha256sum </tmp/rx | cut -d' ' -f1)
	check "5 MiB received from the peer's lan, $(wc -c </tmp/rx) bytes, same SHA-256" [ "$got" = "$want" ]
	verdict=BAD
	[ "$got" = "$want" ] && verdict=OK
	for i in $(seq 30); do
		echo "$verdict $got" | nsx lan timeout 10 nc "$PEER_LAN" 5002 && break
		sleep 1
	done
fi

echo "--- wg show (crypto)"
nsx crypto wg show wg0 | sed 's/^/    /'
check "wg show lists peer $PEER_SITE ($PEER_PUB)" \
	sh -c "/usr/sbin/ip netns exec crypto wg show wg0 peers | grep -qxF '$PEER_PUB'"
check "wg show: its allowed ips are $PEER_PREFIX" \
	sh -c "/usr/sbin/ip netns exec crypto wg show wg0 allowed-ips | grep -qF '$PEER_PUB	$PEER_PREFIX'"
check "wg show: a handshake happened" \
	sh -c "/usr/sbin/ip netns exec crypto wg show wg0 latest-handshakes | awk '{exit !(\$2 > 0)}'"
check "wg show: this node listens on 51820" \
	sh -c "/usr/sbin/ip netns exec crypto wg show wg0 listen-port | grep -qx 51820"
if [ "$ROLE" = send ]; then
	# A peer whose allowed-ips fill more than one netlink message.
	big=$(wg genkey | wg pubkey)
	nets=$(i=0; while [ $i -lt 250 ]; do echo "10.$((100 + i / 256)).$((i % 256)).0/24"; i=$((i + 1)); done)
	check "site big added with 250 prefixes" \
		umbral -N "$NODE" -m "test: big" site add big --key "$big" --prefix $nets
	nips() { /usr/sbin/ip netns exec crypto wg show wg0 allowed-ips | grep -F "$1" | wc -w; }
	check "wg show: peer big has all 250 allowed-ips" [ "$(nips "$big")" -eq 251 ]
	# wg0 lost: reload re-creates it, both peers in one set, split across messages.
	nsx crypto ip link del wg0
	check "after wg0 was deleted, umbral reload succeeds" umbral -N "$NODE" reload
	check "wg show: the new wg0 has peer $PEER_SITE and big's 250 allowed-ips" \
		[ "$(nips "$big")" -eq 251 -a "$(nips "$PEER_PUB")" -eq 2 ]
fi
# The SET_DEVICE messages the kernel accepted (key zeroed), for the host to keep.
if [ -n "${UMBRAL_NL_DUMP:-}" ]; then
	check "umbrald recorded the SET_DEVICE messages the kernel accepted" [ -s "$UMBRAL_NL_DUMP" ]
	echo "--- nl-dump begin"
	od -An -tx1 -v "$UMBRAL_NL_DUMP" 2>/dev/null
	echo "--- nl-dump end"
fi
finish
