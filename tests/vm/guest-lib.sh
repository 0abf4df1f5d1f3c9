# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the guest scripts of tests/vm (as /etc/umbral/test-lib.sh).
# peer_join: the administrator's part, over the test's second serial line
# (ttyS1, relayed by the host to the other guest): say this node's public key,
# learn the other node's, and add the other site with `umbral site add`.
# A serial port drops what arrives while nobody holds it open, so each side
# keeps announcing (every second, for 60 s, in the background) and keeps the
# port open while it listens. Needs node.conf and test.conf (PEER_SITE
# PEER_ENDPOINT PEER_PREFIX) read; sets PEER_PUB. Returns non-zero when no key
# came in 90 s or the add failed. key_swap KEY: the exchange alone.
CTL=/dev/ttyS1

key_swap() {
	local me=$1 kw key i=0 announcer
	[ -n "$me" ] || return 1
	exec 3<>"$CTL"
	stty raw -echo <&3
	(while [ $i -lt 60 ]; do echo "pubkey $me" >&3; i=$((i + 1)); sleep 1; done) &
	announcer=$!
	PEER_PUB=
	while [ -z "$PEER_PUB" ] && [ $i -lt 90 ]; do
		i=$((i + 1))
		read -r -t 1 kw key <&3 || continue
		key=$(echo "$key" | tr -d '\r')
		# A tty that still echoes (the other side before its stty) can send
		# our own line back, interleaved with its own: take only a whole key.
		case "$key" in *[!A-Za-z0-9+/=]*) continue ;; esac
		[ "${#key}" -eq 44 ] || continue
		[ "$kw" = pubkey ] && [ "$key" != "$me" ] && PEER_PUB=$key
	done
	# The announcer stays on a while: the other side may not listen yet.
	(sleep 20; kill $announcer 2>/dev/null) &
	[ -n "$PEER_PUB" ]
}

peer_join() {
	key_swap "$(umbral -N "$NODE" key public)" || return 1
	umbral -N "$NODE" -m "test: site $PEER_SITE" site add "$PEER_SITE" --key "$PEER_PUB" \
		--endpoint "$PEER_ENDPOINT" --keepalive 25 --prefix "$PEER_PREFIX"
}
