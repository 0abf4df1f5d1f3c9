#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 3, apply: each domain diffs a change against what its last apply put
# in the kernel, without reading it all back; so it checks on its own that
# the kernel still holds that. Whatever is changed by hand behind its back
# (a secure set's element in red, a route in crypto, a WireGuard peer) is
# put back within seconds, and a site added and removed after that reaches
# the kernel in every domain.
. "$(dirname "$0")/lib.sh"

U() { "$UMBRAL" -N s1 "$@"; }
# Each reads the kernel (or crypto's view of wg0) and fails when it cannot,
# so that "gone" is asserted as "read, and not there", never as "not read".
red_set() { nsx s1-red nft list set inet umbral remote4; }
crypto_routes() { nsx s1-crypto ip route show table 100; }
peers() { U status --json | jq -er '.domains.crypto.wireguard.peers[].public_key'; }
# holds CMD WANT [UNWANTED]: CMD's output has WANT and not UNWANTED.
holds() {
	local out
	out=$("$1") || return 1
	grep -qF -- "$2" <<<"$out" && { [ -z "${3:-}" ] || ! grep -qF -- "$3" <<<"$out"; }
}
in_set() { holds red_set 10.2.0.0/16; }
has_route() { crypto_routes | grep -q "^default dev wg0"; }
wgx() { nsx s1-crypto wg "$@"; }
not() { ! "$@"; }

"$LAB" up --sites 2 || exit 1
wait_for 20 ping_ok s1-lan 10.2.1.10
check "s1-lan reaches s2-lan through the tunnel" ping_ok s1-lan 10.2.1.10
check "red's secure set holds s2's prefix" in_set
# A check that sees drift where there is none would re-apply every 10 s.
sleep 11
check "left alone for a check period, no domain of s1 or s2 reports drift" \
	not grep -q "apply check\|differs from what the last apply" /run/umbral-lab/logs/s1-*.log \
	/run/umbral-lab/logs/s2-*.log

# 1. An element of a secure set deleted in red: s2 is not secure any more
# there (its traffic meets the default, drop), until the check finds it.
nsx s1-red nft delete element inet umbral remote4 '{ 10.2.0.0/16 }'
check "deleted by hand, the element is gone (the set is read, s2's prefix not in it)" \
	holds red_set "type ipv4_addr" 10.2.0.0/16
check "and s1-lan no longer reaches s2-lan" not ping_ok s1-lan 10.2.1.10
t0=$(now_us)
check "red puts the element back within 15 s" wait_for 15 in_set
echo "# element restored after $((($(now_us) - t0) / 1000)) ms"
check "red's log says why" grep -q "apply check: the kernel's table or routes are not what the last apply" \
	/run/umbral-lab/logs/s1-red.log
check "s1-lan reaches s2-lan again" wait_for 10 ping_ok s1-lan 10.2.1.10

# 2. Crypto's route into wg0 deleted: s2's traffic meets the table's unreachable end.
nsx s1-crypto ip route del default dev wg0 table 100
check "deleted by hand, crypto's route into wg0 is gone (the table is read, no default dev wg0)" \
	holds crypto_routes unreachable "default dev wg0"
check "and s1-lan no longer reaches s2-lan" not ping_ok s1-lan 10.2.1.10
t0=$(now_us)
check "crypto puts the route back within 15 s" wait_for 15 has_route
echo "# route restored after $((($(now_us) - t0) / 1000)) ms"
check "s1-lan reaches s2-lan again" wait_for 10 ping_ok s1-lan 10.2.1.10

# 3. s2's peer removed from wg0 by hand (wg(8) through a link to crypto's UAPI socket).
s2key=$(cat /run/umbral-lab/s2/public.key)
mkdir -p /run/wireguard
ln -sf /run/umbral/s1/crypto-wg0.uapi /run/wireguard/ubdrift.sock
wgx set ubdrift peer "$s2key" remove
rm -f /run/wireguard/ubdrift.sock
check "removed by hand, s2's peer is gone from wg0 (status lists none)" \
	sh -c '"$0" -N s1 status --json | jq -e ".domains.crypto.wireguard.peers | length == 0" >/dev/null' "$UMBRAL"
t0=$(now_us)
check "crypto puts the peer back within 12 s" wait_for 12 holds peers "$s2key"
echo "# peer restored after $((($(now_us) - t0) / 1000)) ms"
check "crypto's log says why" grep -q "differs from what the last apply set" \
	/run/umbral-lab/logs/s1-crypto.log
check "s1-lan reaches s2-lan again" wait_for 10 ping_ok s1-lan 10.2.1.10

# 4. After all that, a site added and removed reaches every domain's kernel.
key=$(newkey)
routes_before=$(crypto_routes)
check "crypto's secure table was read (default into wg0)" grep -q "^default dev wg0" <<<"$routes_before"
U site add s9 --key "$key" --endpoint 198.18.9.2:51820 --prefix 10.9.0.0/16 >/dev/null
check "site add: red's secure set has the new prefix" holds red_set 10.9.0.0/16
# WireGuard's allowed-ips choose the peer: a site changes no route in crypto.
check "site add: crypto's secure table is unchanged" [ "$(crypto_routes)" = "$routes_before" ]
check "site add: wg0 has the peer" holds peers "$key"
U site del s9 >/dev/null
check "site del: red's secure set keeps s2's prefix, not s9's" holds red_set 10.2.0.0/16 10.9.0.0/16
check "site del: crypto's secure table is unchanged" [ "$(crypto_routes)" = "$routes_before" ]
check "site del: wg0 keeps s2's peer, not s9's" holds peers "$s2key" "$key"
check "s2 untouched throughout" ping_ok s1-lan 10.2.1.10
