#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 5, the sealed key: a locked crypto forwards nothing; `umbral unlock`
# brings traffic back; a wrong secret is refused and changes nothing; key
# rotate replaces the identity; and after the run the private keys' bytes
# (raw, base64, hex) are in no file of the lab: not the sealed store, not a
# policy database, not a log, not red's or black's state.
. "$(dirname "$0")/lib.sh"

status_json() { "$UMBRAL" -N "$1" status --json; }
revision() { status_json "$1" | jq -r '.revision'; }
keystore() { status_json "$1" | jq -r '.domains.crypto.wireguard.keystore'; }
unlock_file=/run/umbral-lab/unlock/s1.secret
uapi=/run/umbral/s1/crypto-wg0.uapi
# wg0's private key as wireguard-go holds it (hex), straight from its UAPI socket.
wg_private_hex() {
	printf 'get=1\n\n' | ip netns exec s1-crypto socat -t 2 - "UNIX-CONNECT:$uapi" |
		sed -n 's/^private_key=//p'
}
# rc_says RC WANT_RC OUTPUT TEXT: the exit code is WANT_RC and OUTPUT contains TEXT.
rc_says() { [ "$1" -eq "$2" ] && grep -qF -- "$4" <<<"$3"; }
no_link() { ! nsx "$1" ip link show "$2" >/dev/null 2>&1; }

"$LAB" up --sites 2 || exit 1
check "s1-lan reaches s2-lan with the lab's keys unlocked at start" wait_for 20 ping_ok s1-lan 10.2.1.10
keys=("$(wg_private_hex)")
check "wireguard-go holds s1's private key (read for the leak search below)" [ ${#keys[0]} -eq 64 ]
check "the keystore is sealed 0600 in a 0700 directory" \
	[ "$(stat -c %a /run/umbral-lab/s1/crypto/keystore /run/umbral-lab/s1/crypto | tr '\n' ' ')" = "600 700 " ]
check "no plaintext private.key file any more" [ ! -e /run/umbral-lab/s1/crypto/private.key ]
check "status: crypto unlocked" [ "$(keystore s1)" = unlocked ]
pub=$("$UMBRAL" -N s1 key public)

# --- 1. a reboot of crypto without its unlock secret: locked, nothing forwarded
wgpid=$(status_json s1 | jq -r '.domains.crypto.wireguard.pid')
kill "$("$LAB" pid s1 crypto)"
kill "$wgpid"
wait_for 5 no_link s1-crypto wg0
"$LAB" start s1 crypto --locked
rev=$(revision s1)
check "status --json: crypto locked" [ "$(keystore s1)" = locked ]
check "status (text) says the key is locked" sh -c "'$UMBRAL' -N s1 status | grep -q 'key locked'"
out=$("$UMBRAL" -N s1 key public 2>&1); rc=$?
check "key public while locked: refused (exit 1), says locked" rc_says "$rc" 1 "$out" locked
capture s1-black wan "$WORK/locked-wan.pcap"
check "locked: s1-lan gets no answer from s2-lan" \
	bash -c "! ip netns exec s1-lan ping -c 10 -i 0.2 -W 1 10.2.1.10 >/dev/null"
check "locked: s2-lan gets no answer from s1-lan" \
	bash -c "! ip netns exec s2-lan ping -c 5 -i 0.2 -W 1 10.1.1.10 >/dev/null"
stop_captures
sent=$(tcpdump -nn -r "$WORK/locked-wan.pcap" 'ip and src host 198.18.1.2' 2>/dev/null | head -3)
check "locked: s1 sent no IP packet from its WAN (no handshake, no data)${sent:+: $sent}" [ -z "$sent" ]
check "control: the capture saw s2's handshake attempts arrive" \
	[ "$(count_packets "$WORK/locked-wan.pcap" 'udp and src host 198.18.2.2 and dst port 51820')" -gt 0 ]
check "locked: wg0 exists with no private key and no peer" [ "$(printf 'get=1\n\n' |
	ip netns exec s1-crypto socat -t 2 - "UNIX-CONNECT:$uapi" | grep -cE '^(public|private)_key=')" -eq 0 ]

# --- 2. a wrong secret is refused and changes nothing
head -c 32 /dev/urandom >"$WORK/wrong.secret"
out=$("$UMBRAL" -N s1 unlock --unlock-file "$WORK/wrong.secret" 2>&1); rc=$?
check "unlock with a wrong secret: exit 3" [ "$rc" -eq 3 ]
check "unlock with a wrong secret: says so ($out)" grep -q "wrong unlock secret" <<<"$out"
check "after the wrong secret: still locked" [ "$(keystore s1)" = locked ]
check "after the wrong secret: revision unchanged" [ "$(revision s1)" = "$rev" ]
check "after the wrong secret: still no traffic" \
	bash -c "! ip netns exec s1-lan ping -c 3 -i 0.2 -W 1 10.2.1.10 >/dev/null"
out=$("$UMBRAL" -N s1 unlock --unlock-file /nonexistent 2>&1); rc=$?
check "unlock with a missing file: exit 2, names it" rc_says "$rc" 2 "$out" /nonexistent
out=$("$UMBRAL" -N s1 unlock </dev/null 2>&1 | head -c 300)
check "unlock without a terminal asks for --unlock-file" grep -q -- "--unlock-file" <<<"$out"

# --- 3. the right secret: unlocked, same identity, traffic flows
out=$("$UMBRAL" -N s1 unlock --unlock-file "$unlock_file" 2>&1); rc=$?
check "unlock with the right secret: exit 0" [ "$rc" -eq 0 ]
check "unlock prints the node's public key" grep -qF "$pub" <<<"$out"
check "status: crypto unlocked" [ "$(keystore s1)" = unlocked ]
check "unlocked: s1-lan reaches s2-lan again" wait_for 20 ping_ok s1-lan 10.2.1.10
check "unlocked: s2-lan reaches s1-lan" wait_for 10 ping_ok s2-lan 10.1.1.10
check "unlock changed no revision" [ "$(revision s1)" = "$rev" ]

# --- 4. key rotate: refused with a wrong secret; with the right one a new identity
out=$("$UMBRAL" -N s1 key rotate --unlock-file "$WORK/wrong.secret" 2>&1); rc=$?
check "key rotate with a wrong secret: exit 3, says so" rc_says "$rc" 3 "$out" "wrong unlock secret"
check "after the refused rotate: same key" [ "$("$UMBRAL" -N s1 key public)" = "$pub" ]
new=$("$UMBRAL" -N s1 key rotate --unlock-file "$unlock_file"); rc=$?
check "key rotate: exit 0 and a new public key" [ "$rc" -eq 0 -a ${#new} -eq 44 -a "$new" != "$pub" ]
keys+=("$(wg_private_hex)")
check "wg0 runs the new key" [ "${keys[1]}" != "${keys[0]}" ] 
check "rotated: s1 no longer reaches s2 with the key s2 knows" \
	bash -c "sleep 1; ! ip netns exec s1-lan ping -c 3 -i 0.2 -W 1 10.2.1.10 >/dev/null"
"$UMBRAL" -N s2 site del s1 >/dev/null
"$UMBRAL" -N s2 site add s1 --key "$new" --endpoint 198.18.1.2:51820 --keepalive 25 \
	--prefix 10.1.0.0/16 fd00:0:1::/48 >/dev/null
check "s2 given the new key: traffic flows" wait_for 20 ping_ok s1-lan 10.2.1.10
kill "$("$LAB" pid s1 crypto)"
"$LAB" start s1 crypto
check "restarted with the unlock file: the rotated key opens" [ "$("$UMBRAL" -N s1 key public)" = "$new" ]

# --- 5. the private keys' bytes are nowhere in the lab's files
"$LAB" stop # daemons flush their databases and logs
search() { python3 - "$@" <<'EOF'
import base64, os, sys
needles = []
for h in sys.argv[1:]:
    raw = bytes.fromhex(h)
    needles += [raw, base64.b64encode(raw), h.encode(), h.upper().encode()]
for top in os.environ["DIRS"].split():
    for d, _, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.isfile(p) or os.path.islink(p):
                continue
            data = open(p, "rb").read()
            for n in needles:
                if n in data:
                    print(p)
                    break
EOF
}
mkdir -p "$WORK/control"
python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "${keys[1]}" >"$WORK/control/log"
check "control: the search finds a base64 key planted in a file" \
	[ "$(DIRS="$WORK/control" search "${keys[@]}")" = "$WORK/control/log" ]
leaks=$(DIRS="/run/umbral-lab /run/umbral" search "${keys[@]}")
nfiles=$(find /run/umbral-lab /run/umbral -type f | wc -l)
check "neither private key (raw, base64 or hex) is in any of the lab's $nfiles files${leaks:+: $leaks}" [ -z "$leaks" ]
check "the search covered crypto's keystore, every policy database and every log" \
	sh -c "[ -f /run/umbral-lab/s1/crypto/keystore ] && ls /run/umbral-lab/s1/red/policy.db /run/umbral-lab/s1/black/policy.db /run/umbral-lab/logs/s1-crypto.log >/dev/null"
