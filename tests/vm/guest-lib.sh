# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the guest scripts of tests/vm (as /etc/umbral/test-lib.sh).
# The host is the network authority (tests/vm/lib.sh: authority). Over the
# test's second serial line (ttyS1) the guest tells it the node's public key
# and gets back the signed roster of both nodes; the authority's public key is
# in the image (/etc/umbral/authority.pub), as on separate media in a real box,
# so the roster's signature proves who wrote what the serial line carried.
CTL=/dev/ttyS1
AUTHORITY_PUB=/etc/umbral/authority.pub
ROSTER=/tmp/roster.signed

# roster_fetch KEY: the line protocol. Announces "pubkey KEY" every second
# until a whole roster came: base64 lines between "roster-begin" and
# "roster-end SHA256". A serial port drops what arrives while nobody holds it
# open, and a copy can lose bytes, so the port stays open, a copy whose
# decoded bytes do not have that SHA-256 is dropped (counted in
# ROSTER_DROPPED) and the host's next one taken. The first whole copy goes to
# $ROSTER, and "roster-ok SHA256" back to the host, which then stops sending.
# Non-zero when none came in 120 s.
roster_fetch() {
	local me=$1 line sum='' inside=0 announcer end
	[ -n "$me" ] || return 1
	ROSTER_DROPPED=0
	rm -f "$ROSTER"
	exec 3<>"$CTL"
	stty raw -echo <&3
	(while :; do echo "pubkey $me" >&3; sleep 1; done) &
	announcer=$!
	end=$(($(cut -d. -f1 /proc/uptime) + 120))
	while [ ! -s "$ROSTER" ] && [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		IFS= read -r -t 1 line <&3 || continue
		line=$(echo "$line" | tr -d '\r')
		case $line in
		roster-begin) inside=1; : >/tmp/roster.b64 ;;
		"roster-end "*)
			sum=${line#roster-end }
			if [ $inside = 1 ] && base64 -d </tmp/roster.b64 >/tmp/roster.part 2>/dev/null &&
				[ "$(sha256sum </tmp/roster.part | cut -d' ' -f1)" = "$sum" ]; then
				mv /tmp/roster.part "$ROSTER"
			else
				ROSTER_DROPPED=$((ROSTER_DROPPED + 1))
			fi
			inside=0 ;;
		*) [ $inside = 1 ] && echo "$line" >>/tmp/roster.b64 ;;
		esac
	done
	kill $announcer 2>/dev/null
	wait $announcer 2>/dev/null
	[ -s "$ROSTER" ] && echo "roster-ok $sum" >&3
	exec 3>&-
	[ -s "$ROSTER" ]
}

# roster_key NAME: the public key the received roster gives node NAME.
roster_key() { sed -n "s/^node $1 key \([^ ]*\) .*/\1/p" "$ROSTER"; }

# peer_join: the administrator's part, once the roster is on the box: pin the
# network authority in all three domains, then import the roster (crypto
# checks it and shows the diff; all three apply it as one revision). Needs
# node.conf (NODE) and test.conf (PEER_SITE) read; sets PEER_PUB, the key the
# roster gives the other site. Prints umbral's output indented.
peer_join() {
	local rc
	umbral -N "$NODE" roster trust "$(cat "$AUTHORITY_PUB")" >/tmp/trust.out 2>&1 &&
		[ "$(grep -c trusted /tmp/trust.out)" -eq 3 ] || { sed 's/^/    /' /tmp/trust.out; return 1; }
	umbral -N "$NODE" -m "test: roster from the host" roster import "$ROSTER" >/tmp/import.out 2>&1
	rc=$?
	sed 's/^/    /' /tmp/import.out
	[ $rc -eq 0 ] || return 1
	PEER_PUB=$(roster_key "$PEER_SITE")
	[ -n "$PEER_PUB" ]
}
