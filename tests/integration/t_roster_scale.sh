#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 5, scale: a signed roster of 250 nodes x 16 prefixes imported on one
# node configures 249 WireGuard peers (not itself), each with its 16
# prefixes, in one revision applied by all three domains. (Timings are in
# make bench: b_roster.)
. "$(dirname "$0")/lib.sh"
jqe() { jq -e "$@" >/dev/null; }
rc_says() { [ "$1" -eq "$2" ] && grep -qF -- "$4" <<<"$3"; }

"$LAB" up --sites 1 --keys-only >/dev/null || exit 1
self=$(cat /run/umbral-lab/s1/public.key)
"$(dirname "$LAB")/roster-nodes" "$self" 250 >"$WORK/nodes"
{ printf 'umbral-roster 1\nnetwork scale\nserial 1\n'; cat "$WORK/nodes"; } >"$WORK/r.txt"
auth=$("$UMBRAL" roster keygen --secret-out "$WORK/auth.sk")
"$UMBRAL" -N s1 roster trust "$auth" >/dev/null
"$UMBRAL" roster sign --key "$WORK/auth.sk" "$WORK/r.txt" >"$WORK/r.signed"
out=$("$UMBRAL" -N s1 roster import "$WORK/r.signed" 2>&1); rc=$?
check "a roster of 250 nodes x 16 prefixes ($(wc -c <"$WORK/r.signed") bytes) imports (exit $rc)" \
	rc_says "$rc" 0 "$out" "applied (crypto, red, black)"
check "the import showed 249 nodes added" grep -q "249 added, 0 removed" <<<"$out"
j=$("$UMBRAL" -N s1 status --json)
check "crypto has 249 peers ($(jq '.domains.crypto.wireguard.peers | length' <<<"$j"))" \
	jqe '(.domains.crypto.wireguard.peers | length) == 249' <<<"$j"
check "each peer has its 16 prefixes, and none is this node" \
	jqe --arg self "$self" '[.domains.crypto.wireguard.peers[] |
		select((.allowed_ips | length) == 16 and .public_key != $self)] | length == 249' <<<"$j"
check "all three domains applied the same revision" \
	jqe '.consistent and ([.domains[].applied] | all)' <<<"$j"
check "s250's last prefix goes through the tunnel to s250 (explain)" \
	sh -c "'$UMBRAL' -N s1 explain 10.1.1.10 10.250.240.1 | grep -q '^tunnel to site s250 '"
