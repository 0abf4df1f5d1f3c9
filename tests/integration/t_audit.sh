#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The audit log over a long life (issue 6): `audit rotate` moves old records
# into archive files and the chain still verifies (and still catches a changed
# byte, live or archived); a domain rotates by itself past a limit; callers
# refused at the socket cost a bounded number of records.
. "$(dirname "$0")/lib.sh"

USERS=(umba-op umba-none)
drop_users() { local u; for u in "${USERS[@]}"; do userdel "$u" 2>/dev/null; done; }
trap 'drop_users; finish || exit 1' EXIT

# After its burst of 10, a refused user costs one record per 4 s, not per minute.
REFILL=4
export UMBRAL_REFUSAL_REFILL=$REFILL
STATE=/run/umbral-lab/s1

U() { "$UMBRAL" -N s1 "$@"; }
as() { local u=$1; shift; runuser -u "$u" -- "$UMBRAL" -N s1 "$@"; }
# live DOMAIN: how many records `umbral log` shows for a domain
live() { U log --json | jq "[.[] | select(.domain == \"$1\")] | length"; }
archives() { find "$STATE/$1" -maxdepth 1 -name 'audit-*.db' | sort; }
narchives() { archives "$1" | wc -l; }
# stop DOMAIN: ends s1's daemon by its PID and waits for it
stop() {
	local pid
	pid=$("$LAB" pid s1 "$1")
	kill "$pid"
	wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
}
# flip FILE STRING: changes one byte (the character after STRING's first) where STRING is
flip() {
	local off
	off=$(grep -abo -- "$2" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	printf 'Z' | dd of="$1" bs=1 seek=$((off + 1)) conv=notrunc status=none
}

"$LAB" up --sites 1 || exit 1
pass "lab up: 1 site"
drop_users
useradd -M -N -s /usr/sbin/nologin -G umbral-operator umba-op &&
	useradd -M -N -s /usr/sbin/nologin umba-none || { fail "cannot create test users"; exit 1; }
for i in 1 2 3; do U site add "r$i" --key "$(newkey)" --prefix "10.7$i.0.0/16" >/dev/null; done
before=$(live red)
check "red's log holds the lab's change and three more ($before)" [ "$before" -ge 4 ]

# --- 1. who may rotate
expect_rc 3 "operator: audit rotate is refused" as umba-op audit rotate
check "  ... saying why" has 'permission denied: umba-op .* operator and may only read'
check "  ... asked once: the refusal is recorded in crypto only" \
	[ "$(U log --json | jq '[.[] | select(.user == "umba-op" and .kind == "refused" and .command == "audit rotate")] | map(.domain) | join(" ")')" = '"crypto"' ]
check "  ... and nothing moved" [ "$(narchives red)$(narchives crypto)$(narchives black)" = 000 ]
expect_rc 2 "audit rotate --keep x: bad input" U audit rotate --keep x
check "  ... naming the argument" has "--keep 'x'"
expect_rc 2 "audit rotate --keep -1: bad input" U audit rotate --keep -1
check "  ... and nothing moved" [ "$(narchives red)$(narchives crypto)$(narchives black)" = 000 ]

# --- 2. rotation by the administrator
U log --json >"$WORK/before.json"
expect_rc 0 "audit rotate --keep 2" U audit rotate --keep 2
cp "$WORK/out" "$WORK/rotate.out"
for d in red crypto black; do
	n=$(jq "[.[] | select(.domain == \"$d\")] | length" "$WORK/before.json")
	last=$(jq "[.[] | select(.domain == \"$d\")] | last.seq" "$WORK/before.json")
	arc=$(archives "$d")
	check "$d: one archive in its state directory ($(basename "$arc"))" [ "$(narchives "$d")" = 1 ]
	check "$d: the archive is mode 0600" [ "$(stat -c %a "$arc")" = 600 ]
	check "$d: it says what moved where: records 1-$((last - 2))" \
		grep -q "^$d: records 1-$((last - 2)) archived to $arc (mode 0600); the live log holds records $((last - 1))-$((last + 1))" "$WORK/rotate.out"
	check "$d: the archive holds those $((last - 2)) records" \
		[ "$(sqlite3 "$arc" 'SELECT count(*), min(seq), max(seq) FROM audit')" = "$((last - 2))|1|$((last - 2))" ]
	check "$d: log shows 3 live records, not $n (2 kept, then the rotation)" [ "$(live "$d")" = 3 ]
done
U log --json >"$WORK/after.json"
check "log: each domain recorded the rotation (root, admin, log-rotation, ok)" \
	[ "$(jq '[.[] | select(.kind == "log-rotation" and .user == "root" and .role == "admin" and .outcome == "ok" and .command == "audit rotate --keep 2" and (.summary | test("^records 1-[0-9]+ archived to /")))] | length' "$WORK/after.json")" = 3 ]
U log >"$WORK/out"
check "log (text) says where the older records are" \
	has "^(red: records 1-[0-9]* are archived in $STATE/red/audit-"
check "log (text) still shows the live records" has 'log-rotation ok: audit rotate --keep 2'
expect_rc 0 "audit verify passes after the rotation" U audit verify
check "  ... three live chains intact" [ "$(grep -c 'audit log intact' "$WORK/out")" = 3 ]
check "  ... and three archives intact, linked to them" [ "$(grep -c ': archive .* intact$' "$WORK/out")" = 3 ]
kz=$(newkey)
U site add zlive --key "$kz" --prefix 10.79.0.0/16 >/dev/null
expect_rc 0 "a second rotation (everything)" U audit rotate
check "  ... red has two archives now" [ "$(narchives red)" = 2 ]
check "  ... the live log starts with the rotation record" \
	[ "$(U log --json | jq -r '[.[] | select(.domain == "red")] | map(.kind) | join(" ")')" = log-rotation ]
U log >"$WORK/out"
check "  ... log names both files" has '^(red: records 1-[0-9]* are archived in 2 files, the newest '
U site add zlive2 --key "$(newkey)" --prefix 10.80.0.0/16 >/dev/null
expect_rc 0 "audit verify passes after two rotations and another change" U audit verify
check "  ... six archives intact" [ "$(grep -c ': archive .* intact$' "$WORK/out")" = 6 ]

# --- 3. rotation by itself: black restarted with a limit of 10 live records
stop black
UMBRAL_AUDIT_MAX=10 "$LAB" start s1 black
for i in $(seq 1 6); do
	U site add "a$i" --key "$(newkey)" --prefix "10.9$i.0.0/16" >/dev/null
	U site del "a$i" >/dev/null
done
U log --json >"$WORK/auto.json"
check "black rotated by itself (umbrald, log-rotation, automatic)" \
	jqe '[.[] | select(.domain == "black" and .kind == "log-rotation" and .user == "umbrald" and .role == "daemon" and .outcome == "ok" and (.summary | test("^automatic \\(over 10 live records\\): records [0-9]+-[0-9]+ archived to /")))] | length >= 1' "$WORK/auto.json"
check "black's live log stays within the limit ($(jq '[.[] | select(.domain == "black")] | length' "$WORK/auto.json"))" \
	[ "$(jq '[.[] | select(.domain == "black")] | length' "$WORK/auto.json")" -le 11 ]
check "black has a third archive" [ "$(narchives black)" -ge 3 ]
check "red, without the limit, did not rotate" [ "$(narchives red)" = 2 ]
expect_rc 0 "audit verify passes after automatic rotation" U audit verify

# --- 4. refusals at the socket: 200 from a user with no role
uid=$(id -u umba-none)
t0=$(date +%s)
sleep 1 # the records of the flood are those from t0 on
s=$SECONDS
runuser -u umba-none -- bash -c "for i in \$(seq 200); do '$UMBRAL' -N s1 whoami; echo \"rc=\$?\"; done" >"$WORK/flood" 2>&1
T=$((SECONDS - s + 1))
check "all 200 were refused (exit 3), in $T s" [ "$(grep -c '^rc=3$' "$WORK/flood")" = 200 ]
check "  ... each with the same clear message" \
	[ "$(grep -c "^permission denied: umba-none (uid $uid) is neither root nor in group umbral-admin or umbral-operator; connection closed$" "$WORK/flood")" = 200 ]
summary_in() { U log --since "@$t0" --json | jqe "[.[] | select(.uid == $uid and (.summary | test(\"more refusals from uid $uid \\\\(umba-none\\\\) suppressed\")))] | length >= 1"; }
check "a summary record comes once the bucket allows (within $((REFILL * 3)) s)" wait_for $((REFILL * 3)) summary_in
sleep $((REFILL + 1)) # nothing more is owed: no further summary may come
U log --since "@$t0" --json | jq "[.[] | select(.uid == $uid)]" >"$WORK/flood.json"
nrec=$(jq '[.[] | select(.command == "whoami")] | length' "$WORK/flood.json")
nsum=$(jq '[.[] | select(.summary | test("suppressed"))] | length' "$WORK/flood.json")
nsup=$(jq '[.[] | .summary | capture("^(?<n>[0-9]+) more refusal") | .n | tonumber] | add // 0' "$WORK/flood.json")
check "at most 11 refusals recorded one by one ($nrec)" [ "$nrec" -le 11 ]
check "  ... all in red, kind refused, role none, denied" \
	jqe 'all(.[]; .domain == "red" and .kind == "refused" and .role == "none" and .outcome == "denied")' "$WORK/flood.json"
check "summaries: at most one per $REFILL s of flood, and one after ($nsum in $T s)" \
	sh -c "[ '$nsum' -ge 1 ] && [ '$nsum' -le $((T / REFILL + 2)) ]"
check "every refusal accounted for: $nrec recorded + $nsup summarized = 200" [ $((nrec + nsup)) = 200 ]
check "red's own log is limited too: at most 11 lines for the refusals" \
	[ "$(grep -c 'ctl: refused umba-none' /run/umbral-lab/logs/s1-red.log)" -le 11 ]
check "the refused user still cannot do anything" sh -c "! runuser -u umba-none -- '$UMBRAL' -N s1 status >/dev/null 2>&1"

# An operator's refused changes go through the same limit.
opuid=$(id -u umba-op)
t1=$(date +%s)
sleep 1
runuser -u umba-op -- bash -c "for i in \$(seq 40); do '$UMBRAL' -N s1 site del nosuch; echo \"rc=\$?\"; done" >"$WORK/opflood" 2>&1
check "an operator's 40 changes were all refused (exit 3)" [ "$(grep -c '^rc=3$' "$WORK/opflood")" = 40 ]
nop=$(U log --since "@$t1" --json | jq "[.[] | select(.uid == $opuid and .command == \"site del nosuch\")] | length")
check "  ... and cost at most 11 records one by one ($nop)" sh -c "[ '${nop:-99}' -ge 1 ] && [ '${nop:-99}' -le 11 ]"

# --- 5. tampering after rotation is still found
arc=$(archives crypto | head -n 1)
cp -p "$arc" "$WORK/archive.orig"
check "changed one byte of crypto's first archive" flip "$arc" 'site add r2 --key'
expect_rc 1 "audit verify fails on the archive" U audit verify
check "  ... naming it and the record" has "^crypto: archive $arc BROKEN at record [0-9]*:"
check "  ... the live chains are intact" [ "$(grep -c 'audit log intact' "$WORK/out")" = 3 ]
cp -p "$WORK/archive.orig" "$arc"
expect_rc 0 "the archive put back verifies again" U audit verify
stop red
sqlite3 "$STATE/red/policy.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
seq=$(jq -r '[.[] | select(.domain == "red" and (.command | startswith("site add zlive2")))][0].seq' "$WORK/auto.json")
check "changed one byte of red's live record $seq" flip "$STATE/red/policy.db" 'site add zlive2 --key'
"$LAB" start s1 red
expect_rc 1 "audit verify fails" U audit verify
check "  ... naming red's record $seq" has "^red: audit log BROKEN at record $seq:"
check "  ... crypto and black still intact" [ "$(grep -c 'audit log intact' "$WORK/out")" = 2 ]
expect_rc 1 "audit rotate will not archive a broken chain" U audit rotate
check "  ... red says so and moved nothing" \
	sh -c "grep -q '^red: the chain is broken (see audit verify): nothing archived' '$WORK/out' && [ \$(find $STATE/red -maxdepth 1 -name 'audit-*.db' | wc -l) = 2 ]"
