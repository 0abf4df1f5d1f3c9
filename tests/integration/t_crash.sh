#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Crash safety (issue 6): 50 changes, each with one daemon SIGKILLed at a
# random moment. After the daemon restarts (and `umbral repair`, when the
# change stopped half-way), every domain is on the same complete revision,
# and each domain's nftables table is the one its stored revision compiles
# to (a `reload` of the stored policy changes nothing).
. "$(dirname "$0")/lib.sh"

U() { "$UMBRAL" -N s1 "$@"; }
revs() { U status --json 2>/dev/null | jq -r '[.domains.red.revision, .domains.crypto.revision, .domains.black.revision] | map(tostring) | join(" ")'; }
tables() { local d; for d in red crypto black; do nsx "s1-$d" nft list table inet umbral 2>&1 | sed -E 's/packets [0-9]+ bytes [0-9]+//'; done; }

"$LAB" up --sites 1 || exit 1
pass "lab up: 1 site"
keys=()
for n in 0 1 2 3 4; do keys+=("$(wg genkey | wg pubkey)"); done
doms=(crypto red black)
converged=0 repaired=0 matched=0 sites_ok=0
for i in $(seq 50); do
	n=$((i % 5))
	d=${doms[$((RANDOM % 3))]}
	victim=$("$LAB" pid s1 "$d")
	pause=$(printf "0.%03d" $((RANDOM % 40)))
	if U site list | grep -q "^c$n "; then
		U site del "c$n" >/dev/null 2>&1 &
	else
		U site add "c$n" --key "${keys[$n]}" --prefix "10.20$n.0.0/16" >/dev/null 2>&1 &
	fi
	cli=$!
	sleep "$pause"
	kill -KILL "$victim"
	wait "$cli"
	"$LAB" start s1 "$d" || { fail "iteration $i: $d did not restart"; break; }
	set -- $(revs)
	if [ "$1" != "$2" ] || [ "$2" != "$3" ]; then
		U repair >"$WORK/repair" 2>&1 && repaired=$((repaired + 1)) || sed "s/^/  iteration $i: /" "$WORK/repair"
		set -- $(revs)
	fi
	if [ "$1" = "$2" ] && [ "$2" = "$3" ] && [ -n "$1" ]; then converged=$((converged + 1)); else echo "  iteration $i ($d killed): revisions $*"; fi
	# Each domain holds the same sites as red says.
	[ "$(U status --json | jq '[.domains[].sites] | unique | length')" = 1 ] && sites_ok=$((sites_ok + 1))
	tables >"$WORK/before"
	U reload >/dev/null 2>&1; rrc=$?
	tables >"$WORK/after"
	# Equal only counts when the reload ran and all three tables are there.
	if [ "$rrc" -eq 0 ] && [ "$(grep -c '^table inet umbral' "$WORK/before")" -eq 3 ] &&
		cmp -s "$WORK/before" "$WORK/after"; then matched=$((matched + 1)); else echo "  iteration $i ($d killed): nftables differed from the stored revision"; diff "$WORK/before" "$WORK/after" | head -5; fi
done
check "50 changes with a daemon killed: every domain on one revision after restart ($converged, $repaired repaired)" [ "$converged" -eq 50 ]
check "every domain holds the same sites after each ($sites_ok)" [ "$sites_ok" -eq 50 ]
check "every domain's nftables table is its stored revision's ($matched)" [ "$matched" -eq 50 ]
final=$(U status --json | jq -r .revision)
check "some kills landed in the middle of a change ($repaired needed repair)" [ "$repaired" -gt 0 ]
check "the changes that got through made revisions (now $final)" [ "$final" -gt 5 ]
check "the audit chains survived the kills" U audit verify
