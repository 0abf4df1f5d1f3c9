#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 5, the signed roster: three sites whose nodes only generate their keys
# are configured by importing one signed roster each; every LAN then reaches
# every other. A tampered roster, one signed by another authority and an old
# serial are each refused with a clear error and change nothing; a newer
# roster changing one node touches only that peer.
. "$(dirname "$0")/lib.sh"

status_json() { "$UMBRAL" -N "$1" status --json; }
revision() { status_json "$1" | jq -r '.revision'; }
peers() { status_json "$1" | jq -c '[.domains.crypto.wireguard.peers[] | {site, allowed_ips}] | sort_by(.site)'; }
handshake_of() { status_json "$1" | jq -r ".domains.crypto.wireguard.peers[] | select(.site == \"$2\") | .latest_handshake"; }
rc_says() { [ "$1" -eq "$2" ] && grep -qF -- "$4" <<<"$3"; }

"$LAB" up --sites 3 --keys-only || exit 1
pass "lab up: 3 sites, each node generated its own key, nothing else configured"

# The authority, offline: a key pair, and a roster of the nodes' public keys.
auth_pub=$("$UMBRAL" roster keygen --secret-out "$WORK/authority.sk")
check "roster keygen prints a public key and writes the secret 0600" \
	[ ${#auth_pub} -eq 44 -a "$(stat -c %a "$WORK/authority.sk")" = 600 ]
check "roster keygen never overwrites a secret key" \
	bash -c "! '$UMBRAL' roster keygen --secret-out '$WORK/authority.sk' 2>/dev/null"
roster() { # roster SERIAL [extra s3 prefix]
	echo "umbral-roster 1"
	echo "network lab"
	echo "serial $1"
	for n in 1 2 3; do
		echo "node s$n key $(cat /run/umbral-lab/s$n/public.key) endpoint 198.18.$n.2:51820" \
			"keepalive 25 prefix 10.$n.0.0/16 prefix fd00:0:$n::/48${2:+$([ $n = 3 ] && echo " prefix $2")}"
	done
}
roster 1 >"$WORK/r1.txt"
check "roster sign signs it" sh -c "'$UMBRAL' roster sign --key '$WORK/authority.sk' '$WORK/r1.txt' >'$WORK/r1.signed'"
check "the signed roster ends with a signature line" sh -c "tail -n 1 '$WORK/r1.signed' | grep -q '^signature '"

out=$("$UMBRAL" -N s1 roster import "$WORK/r1.signed" 2>&1); rc=$?
check "import before any authority is trusted: refused (exit 2), says so" rc_says "$rc" 2 "$out" "no network authority is trusted"

for n in 1 2 3; do
	check "s$n: roster trust pins the authority in all three domains" \
		sh -c "[ \$('$UMBRAL' -N s$n roster trust $auth_pub | grep -c trusted) -eq 3 ]"
	check "s$n: the pinning is audited in all three domains, naming the key (roster-trust)" \
		sh -c "[ \$('$UMBRAL' -N s$n log --json | jq --arg k 'authority $auth_pub (was none)' \
			'[.[] | select(.kind == \"roster-trust\" and .summary == \$k and .outcome == \"ok\")] | length') -eq 3 ]"
	out=$("$UMBRAL" -N "s$n" roster import "$WORK/r1.signed" 2>&1); rc=$?
	check "s$n: roster import applied (exit 0)" rc_says "$rc" 0 "$out" "applied (crypto, red, black)"
	check "s$n: the import showed 2 nodes added (the others, not itself) and its own prefixes" \
		bash -c '[ "$(grep -cE "^\+ node s[0-9]+:" <<<"$1")" -eq 2 ] && ! grep -qE "^\+ node s$2:" <<<"$1" &&
			grep -qE "^~ self s$2: prefixes" <<<"$1" && grep -q "2 added, 0 removed, 1 changed" <<<"$1"' _ "$out" "$n"
done
check "s1 has two peers, s2 and s3, with their prefixes (not itself)" \
	[ "$(peers s1 | jq -c 'map(.site)')" = '["s2","s3"]' ]
check "s1's own prefix came from its roster entry" \
	sh -c "'$UMBRAL' -N s1 show config | grep -q '10.1.0.0/16'"
for a in 1 2 3; do
	for b in 1 2 3; do
		[ "$a" = "$b" ] && continue
		check "s$a-lan reaches s$b-lan" wait_for 20 ping_ok "s$a-lan" "10.$b.1.10"
	done
done
check "roster status: network lab, serial 1" \
	sh -c "'$UMBRAL' -N s1 roster status | grep -q '^serial 1$'"
check "the import is in every domain's audit log as roster-import, ok, with its diff" \
	sh -c "'$UMBRAL' -N s1 log --json | jq -e '[.[] | select(.kind == \"roster-import\" and .outcome == \"ok\" and .command == \"roster import\" and (.summary | length) > 0)] | map(.domain) | sort == [\"black\", \"crypto\", \"red\"]' >/dev/null"

# --- refusals: each changes nothing
rev=$(revision s1)
before=$(peers s1)
refused() { # refused WHAT FILE EXPECTED-MESSAGE
	local out rc
	out=$("$UMBRAL" -N s1 roster import "$2" 2>&1); rc=$?
	check "$1: refused with exit 2" [ "$rc" -eq 2 ]
	check "$1: says why ($3)" grep -qF -- "$3" <<<"$out"
	check "$1: revision unchanged" [ "$(revision s1)" = "$rev" ]
	check "$1: WireGuard peers unchanged" [ "$(peers s1)" = "$before" ]
}
roster 2 10.33.0.0/16 >"$WORK/r2.txt"
"$UMBRAL" roster sign --key "$WORK/authority.sk" "$WORK/r2.txt" >"$WORK/r2.signed"
# One byte changed: s3's extra prefix 10.33 becomes 10.34.
sed 's/10\.33\.0\.0/10.34.0.0/' "$WORK/r2.signed" >"$WORK/r2.tampered"
check "the tampered copy differs from the signed roster in exactly one byte" \
	[ "$(cmp -l "$WORK/r2.signed" "$WORK/r2.tampered" | wc -l)" -eq 1 ]
refused "tampered roster (one byte)" "$WORK/r2.tampered" "does not verify with the network authority's key"
"$UMBRAL" roster keygen --secret-out "$WORK/other.sk" >/dev/null
"$UMBRAL" roster sign --key "$WORK/other.sk" "$WORK/r2.txt" >"$WORK/r2.other"
refused "roster signed by another authority" "$WORK/r2.other" "does not verify with the network authority's key"
refused "the same serial again" "$WORK/r1.signed" "serial 1: not newer than the current roster's serial 1"

# --- a newer roster changing one node: only that peer changes, others keep their session
hs2=$(handshake_of s1 s2)
out=$("$UMBRAL" -N s1 roster import "$WORK/r2.signed" 2>&1); rc=$?
check "serial 2 (s3 gains 10.33.0.0/16): applied" rc_says "$rc" 0 "$out" "revision $((rev + 1)) applied"
check "the import showed only s3 changing its prefixes" \
	bash -c 'grep -q "~ node s3: prefixes +10.33.0.0/16" <<<"$1" && grep -q "0 added, 0 removed, 1 changed" <<<"$1"' _ "$out"
check "crypto gives peer s3 the new prefix" \
	sh -c "'$UMBRAL' -N s1 status --json | jq -e '.domains.crypto.wireguard.peers[] | select(.site==\"s3\") | .allowed_ips | index(\"10.33.0.0/16\")' >/dev/null"
check "peer s2 kept its session (same last handshake: not re-created)" [ "$(handshake_of s1 s2)" = "$hs2" ]
check "s1-lan still reaches s2-lan and s3-lan" sh -c "ip netns exec s1-lan ping -c 2 -W 2 10.2.1.10 >/dev/null && ip netns exec s1-lan ping -c 2 -W 2 10.3.1.10 >/dev/null"
rev=$(revision s1)
before=$(peers s1)
refused "rollback to serial 1" "$WORK/r1.signed" "serial 1: not newer than the current roster's serial 2"

# --- crypto locked: it still knows its own public key (recorded when it last
# held the private one), so a roster that re-keys this node is refused.
other_pub=$(wg genkey | wg pubkey)
{ roster 3 | sed "s|^node s1 key [^ ]*|node s1 key $other_pub|"; } >"$WORK/r3.txt"
"$UMBRAL" roster sign --key "$WORK/authority.sk" "$WORK/r3.txt" >"$WORK/r3.signed"
kill "$("$LAB" pid s1 crypto)"
wait_for 10 sh -c "! kill -0 $("$LAB" pid s1 crypto) 2>/dev/null"
"$LAB" start s1 crypto --locked
check "s1's crypto restarted locked" sh -c "'$UMBRAL' -N s1 status --json | jq -e '.domains.crypto.wireguard.keystore == \"locked\"' >/dev/null"
rev=$(revision s1)
before=$(peers s1)
refused "locked: a roster giving s1 another key" "$WORK/r3.signed" "node s1: key $other_pub in the roster is not this node's key $(cat /run/umbral-lab/s1/public.key)"
