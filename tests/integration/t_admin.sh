#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Administration (issue 6): roles from the kernel's word (real users through
# runuser), the audit log and its verification against tampering, revisions,
# diff, rollback, confirmed commits that go back by themselves, and export
# (show config) / import (-f) onto a fresh node.
. "$(dirname "$0")/lib.sh"

USERS=(umbt-adm umbt-op umbt-none)
drop_users() { local u; for u in "${USERS[@]}"; do userdel "$u" 2>/dev/null; done; }
trap 'drop_users; finish || exit 1' EXIT

U() { "$UMBRAL" -N s1 "$@"; }
# as USER ARGS...: umbral as that user, the way an administrator logs in.
as() { local u=$1; shift; runuser -u "$u" -- "$UMBRAL" -N s1 "$@"; }
rev() { U status --json | jq -r .revision; }
# revs: "red crypto black" revisions
revs() { U status --json | jq -r '[.domains.red.revision, .domains.crypto.revision, .domains.black.revision] | map(tostring) | join(" ")'; }

"$LAB" up --sites 2 || exit 1
pass "lab up: 2 sites"
drop_users
useradd -M -N -s /usr/sbin/nologin -G umbral-admin umbt-adm &&
	useradd -M -N -s /usr/sbin/nologin -G umbral-operator umbt-op &&
	useradd -M -N -s /usr/sbin/nologin umbt-none || { fail "cannot create test users"; exit 1; }

# --- 1. roles
r0=$(rev)
check "the lab's node is on one revision ($r0)" [ "$(revs)" = "$r0 $r0 $r0" ]
expect_rc 0 "operator: status" as umbt-op status
expect_rc 0 "operator: site list" as umbt-op site list
check "operator sees the sites" has '^s2 '
expect_rc 0 "operator: show config" as umbt-op show config
expect_rc 0 "operator: explain" as umbt-op explain 10.1.1.10 10.2.1.10
expect_rc 0 "operator: log" as umbt-op log
expect_rc 0 "operator: whoami says operator" as umbt-op whoami
check "whoami: 'umbt-op operator'" has '^umbt-op operator$'
k1=$(newkey)
expect_rc 3 "operator: site add is refused" as umbt-op site add t1 --key "$k1" --prefix 10.77.0.0/16
check "the refusal says why" has 'permission denied: umbt-op .* operator and may only read'
expect_rc 3 "operator: rollback is refused" as umbt-op rollback 1
expect_rc 3 "operator: reload is refused" as umbt-op reload
check "refused changes left the revision at $r0" [ "$(revs)" = "$r0 $r0 $r0" ]
expect_rc 3 "no role: status refused at the socket" as umbt-none status
check "no role: the message names the user and the groups" \
	has 'permission denied: umbt-none (uid [0-9]*) is neither root nor in group umbral-admin or umbral-operator; connection closed'
expect_rc 3 "no role: site list refused at the socket" as umbt-none site list
expect_rc 3 "no role: site add refused at the socket" as umbt-none site add t1 --key "$k1" --prefix 10.77.0.0/16
# A refused unlock must not put the secret it carried into the log operators read;
# a word with a line break must not forge a line of the log.
head -c 32 /dev/urandom >"$WORK/op.secret"
chmod 0644 "$WORK/op.secret"
chmod 0755 "$WORK"
secret_hex=$(od -An -tx1 -v "$WORK/op.secret" | tr -d ' \n')
expect_rc 3 "operator: unlock is refused" as umbt-op unlock --unlock-file "$WORK/op.secret"
expect_rc 3 "no role: a command with a line break in a word is refused" as umbt-none site del "$(printf 'x\nFORGED-LINE')"
U log >"$WORK/log-secret.txt" 2>&1
check "the refused unlock is in the log, its secret is not" \
	sh -c "grep -q 'unlock \[options withheld\]' '$WORK/log-secret.txt' && ! grep -qi '$secret_hex' '$WORK/log-secret.txt'"
check "the line break is recorded as \\x0a, on the record's own line" \
	sh -c "grep -q 'site del x\\\\x0aFORGED-LINE' '$WORK/log-secret.txt' && ! grep -q '^FORGED-LINE' '$WORK/log-secret.txt'"
expect_rc 0 "umbral-admin member: site add t1" as umbt-adm site add t1 --key "$k1" --prefix 10.77.0.0/16
check "the admin's change is revision $((r0 + 1)) everywhere" [ "$(revs)" = "$((r0 + 1)) $((r0 + 1)) $((r0 + 1))" ]

# --- 2. the audit log
U log --json >"$WORK/log.json"
check "log --json is one JSON array" jqe 'type == "array"' "$WORK/log.json"
check "log: the admin's change, in all three domains, with its revision" \
	[ "$(jq "[.[] | select(.user == \"umbt-adm\" and .kind == \"change\" and .outcome == \"ok\" and .role == \"admin\" and .revision == $((r0 + 1)))] | length" "$WORK/log.json")" -eq 3 ]
check "log: the operator's refused site add (role operator, denied)" \
	jqe '[.[] | select(.user == "umbt-op" and .kind == "refused" and .outcome == "denied" and .role == "operator" and (.command | startswith("site add t1")))] | length >= 1' "$WORK/log.json"
check "log: the socket refusal of umbt-none (role none) with what was asked" \
	jqe '[.[] | select(.user == "umbt-none" and .role == "none" and .outcome == "denied" and (.command | contains("site add t1")))] | length >= 1' "$WORK/log.json"
check "log: records say when and who (uid)" \
	jqe "[.[] | select(.user == \"umbt-adm\")][0] | (.time > $(($(date +%s) - 600))) and (.uid == $(id -u umbt-adm))" "$WORK/log.json"
check "log: the change's summary says what changed" \
	jqe '[.[] | select(.user == "umbt-adm")][0].summary | test("^\\+1 -0; \\+ site add t1 ")' "$WORK/log.json"
U log >"$WORK/out"
check "log: the lab's key generation is a key-rotation record from crypto" \
	jqe '[.[] | select(.kind == "key-rotation" and .domain == "crypto" and .outcome == "ok" and .command == "key generate [options withheld]")] | length == 1' "$WORK/log.json"
check "log (text): the refusal is there, one line" has 'operator umbt-op (uid [0-9]*) refused denied: site add t1'
check "log --since in the future shows nothing" [ "$(U log --since @$(($(date +%s) + 3600)) --json | jq length)" -eq 0 ]
check "log --since 10m shows the change" sh -c "'$UMBRAL' -N s1 log --since 10m | grep -q 'site add t1'"
expect_rc 2 "log --since garbage: bad input" U log --since yesterdayish
check "the message names the argument" has "since 'yesterdayish'"
expect_rc 0 "audit verify: every chain intact" U audit verify
check "audit verify reports the three domains" [ "$(grep -c 'audit log intact' "$WORK/out")" -eq 3 ]

# --- 3. revisions, diff, rollback
r1=$(rev)
U show config >"$WORK/conf-r1"
k2=$(newkey)
U -m "add c1" site add c1 --key "$k2" --prefix 10.78.0.0/16 >/dev/null
expect_rc 0 "show revisions" U show revisions
check "show revisions lists revision $((r1 + 1)) with its comment as current" has "^ *$((r1 + 1)) .*add c1  (current)"
check "show revisions --json: newest first" [ "$(U show revisions --json | jq '.[0].revision')" -eq $((r1 + 1)) ]
expect_rc 0 "diff $r1" U diff "$r1"
check "diff shows the added site, only it" [ "$(cat "$WORK/out")" = "+ site add c1 --key $k2 --prefix 10.78.0.0/16" ]
expect_rc 0 "diff $((r1 + 1)) $r1 is the reverse" U diff $((r1 + 1)) "$r1"
check "  ... '- site add c1'" has '^- site add c1'
expect_rc 0 "rollback $r1" U rollback "$r1"
check "rollback made revision $((r1 + 2)) in every domain" [ "$(revs)" = "$((r1 + 2)) $((r1 + 2)) $((r1 + 2))" ]
check "rollback: the content is revision $r1's" sh -c "'$UMBRAL' -N s1 show config | cmp -s - '$WORK/conf-r1'"
check "rollback: it went in the removal order (black, red, crypto)" has 'applied (black, red, crypto)'
check "rollback: in the audit log" sh -c "'$UMBRAL' -N s1 log | grep -q 'rollback revision $((r1 + 2)) ok: rollback $r1'"
expect_rc 2 "rollback 999: no such revision" U rollback 999
check "  ... says so" has 'revision 999: no such revision'
expect_rc 2 "diff x: bad revision" U diff x
check "  ... names it" has "revision 'x': not a revision number"
check "bad input changed nothing" [ "$(revs)" = "$((r1 + 2)) $((r1 + 2)) $((r1 + 2))" ]

# --- 4. confirmed commits
r2=$(rev)
k3=$(newkey)
expect_rc 0 "--confirm-seconds 3 site add c2" U --confirm-seconds 3 site add c2 --key "$k3" --prefix 10.79.0.0/16
check "  ... says it will go back" has "goes back to revision $r2 in 3 s unless"
check "status shows the pending confirmation" sh -c "'$UMBRAL' -N s1 status | grep -q 'awaiting confirmation: back to revision $r2'"
expect_rc 1 "another change while one awaits confirmation is refused" U site add c9 --key "$(newkey)" --prefix 10.99.0.0/16
check "  ... saying why" has "awaits confirmation"
check "without confirm the node goes back by itself: revision $((r2 + 2)) everywhere" \
	wait_for 15 sh -c "[ \"\$('$UMBRAL' -N s1 status --json | jq -r '[.domains[].revision] | map(tostring) | join(\" \")')\" = '$((r2 + 2)) $((r2 + 2)) $((r2 + 2))' ]"
check "  ... without c2, in every domain" \
	sh -c "'$UMBRAL' -N s1 status --json | jq -e '[.domains[].sites] | unique | length == 1' >/dev/null && ! '$UMBRAL' -N s1 site list | grep -q '^c2 '"
check "  ... its content is revision $r2's" sh -c "[ -z \"\$('$UMBRAL' -N s1 diff $r2)\" ]"
U log --json >"$WORK/log2.json"
order=$(jq -r "[.[] | select(.kind == \"rollback\" and .user == \"umbrald\" and .revision == $((r2 + 2)))] | sort_by(.time) | map(.domain) | join(\" \")" "$WORK/log2.json")
check "  ... recorded by each domain, going back in the removal order: black red crypto ($order)" [ "$order" = "black red crypto" ]
r3=$(rev)
k4=$(newkey)
U --confirm 0.05 site add c3 --key "$k4" --prefix 10.80.0.0/16 >/dev/null
expect_rc 0 "--confirm 0.05 (minutes) then confirm" U confirm
check "  ... every domain confirmed" [ "$(grep -c 'confirmed' "$WORK/out")" -eq 3 ]
sleep 6
check "confirmed: still revision $((r3 + 1)) with c3 after the deadline" \
	sh -c "[ \"\$('$UMBRAL' -N s1 status --json | jq -r .revision)\" = $((r3 + 1)) ] && '$UMBRAL' -N s1 site list | grep -q '^c3 '"
expect_rc 0 "confirm with nothing pending is harmless" U confirm
check "  ... and says so" has 'nothing awaits confirmation'
expect_rc 2 "--confirm -1: bad input" U --confirm -1 site del c3
check "  ... names the argument" has "confirm '-1'"

# --- 5. the interactive shell, through a pseudo-terminal
r4=$(rev)
k5=$(newkey)
/usr/bin/python3 "$top/tests/integration/pty_drive.py" "$UMBRAL" -N s1 --- \
	"sta\t\r" "site del \t\t" "c3\r" "site add bad --key nonsense --prefix 10.91.0.0/16\r" \
	"site add k9 --key $k5 --prefix 10.90.0.0/16\r" "show changes\r" \
	"commit -m 'from the shell'\r" "diff $r4\r" "exit\r" >"$WORK/shell.out" 2>&1
check "shell: exits 0" [ $? -eq 0 ]
tr -d '\r' <"$WORK/shell.out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' >"$WORK/out"
check "shell: the prompt names the node and revision" has "^s1\[r$r4\]# "
check "shell: 'sta<TAB>' completes to status, which runs" has "^red    revision $r4"
check "shell: 'site del <TAB><TAB>' offers the known site names" grep -Eq 'c3 +s2 +t1' "$WORK/out"
check "shell: a change is staged, not applied" has "staged (1 uncommitted change;"
check "shell: the prompt shows uncommitted changes" has "^s1\[r$r4 \*uncommitted\*\]# "
check "shell: a bad change is refused when staged, naming the field" \
	has "site bad: key nonsense: not a WireGuard public key"
check "shell: show changes lists both staged changes" \
	sh -c "grep -q '^+ site del c3\$' '$WORK/out' && grep -q '^+ site add k9 --key' '$WORK/out'"
check "shell: commit applies them as one revision, $((r4 + 1))" has "node s1: revision $((r4 + 1)) applied"
check "shell: diff $r4 shows both changes" \
	sh -c "grep -q '^- site add c3' '$WORK/out' && grep -q '^+ site add k9' '$WORK/out'"
check "shell: every domain at $((r4 + 1)), with the shell's comment" \
	sh -c "[ \"\$('$UMBRAL' -N s1 status --json | jq -r '[.domains[].revision] | map(tostring) | join(\" \")')\" = '$((r4 + 1)) $((r4 + 1)) $((r4 + 1))' ] && '$UMBRAL' -N s1 show revisions | grep -q '^ *$((r4 + 1)) .*from the shell  (current)'"
/usr/bin/python3 "$top/tests/integration/pty_drive.py" runuser -u umbt-op -- "$UMBRAL" -N s1 --- \
	"site del s2\r" "exit\r" >"$WORK/out" 2>&1
check "shell as an operator: staging a change is refused" has "permission denied: umbt-op"
/usr/bin/python3 "$top/tests/integration/pty_drive.py" "$UMBRAL" -N s1 --idle 0.05 --- SLEEP:5 >"$WORK/out" 2>&1
check "shell: an idle session ends by itself (--idle 0.05)" has "session idle too long: closed"
check "shell: and nothing changed meanwhile" [ "$(rev)" = $((r4 + 1)) ]

# --- 6. export and import: show config on s1, -f on a fresh node
U show config >"$WORK/s1.conf"
for d in crypto red black; do kill "$("$LAB" pid s2 "$d")"; done
for d in crypto red black; do wait_for 5 sh -c "! kill -0 $("$LAB" pid s2 "$d") 2>/dev/null"; done
rm -rf /run/umbral-lab/s2/crypto /run/umbral-lab/s2/red /run/umbral-lab/s2/black
for d in crypto red black; do "$LAB" start s2 "$d"; done
check "s2 starts fresh: revision 0" [ "$("$UMBRAL" -N s2 status --json | jq -r .revision)" = 0 ]
expect_rc 0 "umbral -N s2 -f s1's show config" "$UMBRAL" -N s2 -f "$WORK/s1.conf"
"$UMBRAL" -N s2 show config >"$WORK/s2.conf"
check "import: s2's policy content is s1's ($(wc -l <"$WORK/s1.conf") commands)" cmp -s "$WORK/s1.conf" "$WORK/s2.conf"
check "import: s2's three domains agree" sh -c "'$UMBRAL' -N s2 status --json | jq -e .consistent >/dev/null"
s2rev=$("$UMBRAL" -N s2 status --json | jq -r .revision)
printf 'site add q1 --key %s --prefix 10.81.0.0/16\nsite add q2 --key nonsense --prefix 10.82.0.0/16\nsite add q3 --key %s --prefix 10.83.0.0/16\n' \
	"$(newkey)" "$(newkey)" >"$WORK/bad.script"
expect_rc 2 "a script stops at its first bad line" "$UMBRAL" -N s2 -f "$WORK/bad.script"
check "  ... naming file and line 2" has "bad.script:2: 'site add' failed"
check "  ... line 1 applied, line 3 not" [ "$("$UMBRAL" -N s2 status --json | jq -r .revision)" = $((s2rev + 1)) ]
printf 'site add "q4 --key x\n' >"$WORK/quote.script"
expect_rc 2 "an unterminated quote in a script is bad input" "$UMBRAL" -N s2 -f "$WORK/quote.script"

# --- 7. tampering with the audit log
U log --json >"$WORK/log3.json"
seq=$(jq -r '[.[] | select(.domain == "red" and (.command | startswith("site add t1")) and .kind == "change")][0].seq' "$WORK/log3.json")
db=/run/umbral-lab/s1/red/policy.db
pid=$("$LAB" pid s1 red)
kill "$pid"
wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
off=$(grep -abo 'site add t1 --key' "$db" | head -n 1 | cut -d: -f1)
check "found red's record $seq in the database file (offset $off)" [ -n "$off" ] && [ "$seq" != null ]
# One byte: the 't' of "t1" becomes 'T'.
[ -n "$off" ] && printf 'T' | dd of="$db" bs=1 seek=$((off + 9)) conv=notrunc status=none
"$LAB" start s1 red
expect_rc 1 "audit verify after one byte changed in red's log fails" U audit verify
check "  ... naming red's record $seq" has "red: audit log BROKEN at record $seq:"
check "  ... crypto and black still intact" [ "$(grep -c 'audit log intact' "$WORK/out")" -eq 2 ]
pid=$("$LAB" pid s1 black)
kill "$pid"
wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
sqlite3 /run/umbral-lab/s1/black/policy.db 'DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2;'
"$LAB" start s1 black
expect_rc 1 "audit verify after deleting black's record 2 fails" U audit verify
check "  ... naming black's record 2" has "black: audit log BROKEN at record 2:"
