# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Shared by check-vm and bench-vm: two firmware guests under qemu (TCG),
# s1 (wan 198.18.1.2/24, lan 10.1.1.1/24) and s2 (wan 198.18.2.2/24,
# lan 10.2.1.1/24), joined wan to wan by a qemu socket netdev on 127.0.0.1:
# that link is the whole "internet" (each black routes 198.18.0.0/16 on-link).
# Each guest's LAN is a `lan` namespace inside it behind a veth, 10.N.1.10/24.
# Each guest makes its own WireGuard key (`umbral key generate`, at boot) and
# announces the public key on a second serial line (ttyS1, a qemu pipe read
# here). This host is the network authority, offline as in a real network: it
# signs the roster of both nodes and sends it back on each guest's ttyS1; each
# guest pins the authority's public key (from its image, as from separate
# media) and imports the roster (tests/vm/guest-lib.sh).
# Each guest runs one script after its boot and reports through isa-debug-exit.
# Sourced, not run.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
O=$(cd "${1:-$top/build}" && pwd)
IMG=$O/umbral-initramfs.cpio.gz
KERNEL=$O/vmlinuz
VM=$O/vm
TIMEOUT=${VM_TIMEOUT:-170}
PASS=0
FAIL=0
PIDS=()
declare -A RC

pass() { PASS=$((PASS + 1)); echo "ok - $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# Kills our guests and helpers (ttyS1 readers, authority) by PID, whatever happened.
stop_guests() {
	local p
	for p in "${PIDS[@]}" "${HELPERS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
HELPERS=()

[ -r "$IMG" ] && [ -r "$KERNEL" ] || { echo "no $IMG or $KERNEL: make image" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64: make deps" >&2; exit 1; }
[ -x "$O/umbral" ] || { echo "no $O/umbral: make" >&2; exit 1; }
mkdir -p "$VM"

# The network authority's key pair, new for each run (keygen never overwrites).
AUTH_SK=$VM/authority.sk
rm -f "$AUTH_SK"
AUTH_PUB=$("$O/umbral" roster keygen --secret-out "$AUTH_SK") || { echo "roster keygen failed" >&2; exit 1; }

# roster_node N KEY: guest sN's line in the roster (the addresses of node.conf below).
roster_node() { echo "node s$1 key $2 endpoint 198.18.$1.2:51820 keepalive 25 prefix 10.$1.0.0/16"; }

# announced N: the last whole key guest sN announced on its ttyS1, or nothing.
announced() {
	tr -d '\r' <"$VM/s$1.ctl.log" | sed -n 's|^pubkey \([A-Za-z0-9+/]\{43\}=\)$|\1|p' | tail -n 1
}

# at: seconds since run_pair booted the first guest.
at() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}'; }

# authority: the host's part, in the background while the guests run. Waits
# for both guests' keys, signs the roster of the two nodes, and writes it to
# each guest's ttyS1 as base64 lines between "roster-begin" and "roster-end
# SHA256" (of the signed roster), again every 3 s until that guest answers
# "roster-ok SHA256": bytes a serial line drops while nobody holds it open are
# sent again, not waited for. Each write is a copy that lost its second line,
# then a whole one: every run shows the guest dropping a damaged copy.
# What it did: $VM/authority.log.
authority() {
	local k1='' k2='' sum n tick=0 writes=(0 0 0) acked=(0 0 0) log=$VM/authority.log
	until [ -n "$k1" ] && [ -n "$k2" ]; do
		sleep 0.5
		k1=$(announced 1) k2=$(announced 2)
	done
	echo "authority: [$(at) s] keys announced: s1 $k1, s2 $k2" >>"$log"
	{ echo "umbral-roster 1"; echo "network vm"; echo "serial 1"
	  roster_node 1 "$k1"; roster_node 2 "$k2"; } >"$VM/roster.txt"
	"$O/umbral" roster sign --key "$AUTH_SK" "$VM/roster.txt" >"$VM/roster.signed" 2>>"$log" ||
		{ echo "authority: roster sign failed" >>"$log"; return 1; }
	sum=$(sha256sum <"$VM/roster.signed" | cut -d' ' -f1)
	{ echo roster-begin; base64 -w 76 "$VM/roster.signed" | sed 2d; echo "roster-end $sum"
	  echo roster-begin; base64 -w 76 "$VM/roster.signed"; echo "roster-end $sum"; } >"$VM/roster.wire"
	echo "authority: [$(at) s] roster serial 1 signed: $(wc -c <"$VM/roster.signed") bytes, SHA-256 $sum" >>"$log"
	until [ "${acked[1]}" = 1 ] && [ "${acked[2]}" = 1 ]; do
		for n in 1 2; do
			[ "${acked[$n]}" = 1 ] && continue
			if grep -aq "^roster-ok $sum" "$VM/s$n.ctl.log"; then
				acked[n]=1
				echo "authority: [$(at) s] s$n acknowledged the roster after ${writes[$n]} write(s)" >>"$log"
			elif [ $((tick % 6)) = 0 ]; then
				# Opening a pipe whose qemu is gone would wait for a reader forever.
				timeout 5 dd if="$VM/roster.wire" of="$VM/s$n.ctl.in" status=none 2>/dev/null &&
					writes[n]=$((writes[n] + 1))
			fi
		done
		tick=$((tick + 1))
		sleep 0.5
	done
}

# Copies programs and the libraries they load into a fixture tree.
put_elf() { # DIR PROGRAM...
	local d=$1 p lib; shift
	for p in "$@"; do
		p=$(command -v "$p") || { echo "no $p on this machine" >&2; return 1; }
		install -D -m 0755 "$(readlink -f "$p")" "$d/usr/bin/$(basename "$p")"
		ldd "$p" | awk '/=> \//{print $3}' | while read -r lib; do
			install -D -m 0755 "$(readlink -f "$lib")" "$d$lib"
		done
	done
}

# fixture N ROLE M SCRIPT [PROGRAM...]: guest sN's own files (node.conf, the
# authority's public key as authority.pub, the other site M in test.conf, the
# script as /etc/umbral/test.sh, test programs, and BOOT_HOOK if set as rcS's
# UMBRAL_BOOT_HOOK), appended to the image as a second cpio archive: the
# kernel unpacks both, in order. With BARE=1 there is no node.conf: the box
# stays unconfigured (no domains, no umbrald) and the script builds a plain
# kernel WireGuard link itself, for comparison.
BOOT_HOOK=
BARE=0
fixture() {
	local n=$1 role=$2 m=$3 script=$4 d="$VM/s$1-fixture"
	shift 4
	rm -rf "$d" && mkdir -p "$d/etc/umbral"
	[ "$BARE" = 1 ] || cat >"$d/etc/umbral/node.conf" <<-EOT
		NODE=s$n
		WAN_ADDR=198.18.$n.2/24
		WAN_ROUTES=198.18.0.0/16
		LAN_ADDR=10.$n.1.1/24
		PREFIX=10.$n.0.0/16
		LAN_NS=1
		LAN_HOST=10.$n.1.10/24
		UMBRAL_DEBUG=1
		UMBRAL_NL_DUMP=/var/log/umbral/wg-set-device.nl
	EOT
	cat >"$d/etc/umbral/test.conf" <<-EOT
		ROLE=$role
		PEER_SITE=s$m
		PEER_ENDPOINT=198.18.$m.2:51820
		PEER_LAN=10.$m.1.10
		PEER_PREFIX=10.$m.0.0/16
		MODE=$([ "$BARE" = 1 ] && echo bare || echo umbral)
		BARE_NODE=s$n
		BARE_WAN=198.18.$n.2/24
		BARE_LAN=10.$n.1.10/24
		BARE_GW=10.$n.1.1/24
	EOT
	echo "$AUTH_PUB" >"$d/etc/umbral/authority.pub"
	install -m 0755 "$script" "$d/etc/umbral/test.sh"
	install -m 0644 "$top/tests/vm/guest-lib.sh" "$d/etc/umbral/test-lib.sh"
	if [ -n "$BOOT_HOOK" ]; then
		install -m 0755 "$BOOT_HOOK" "$d/etc/umbral/boot-hook.sh"
		echo "UMBRAL_BOOT_HOOK=/etc/umbral/boot-hook.sh" >>"$d/etc/umbral/node.conf"
	fi
	[ $# -eq 0 ] || put_elf "$d" "$@" || return 1
	(cd "$d" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet --reproducible -o -H newc -R 0:0 | gzip -n) >"$VM/s$n-fixture.cpio.gz"
	cat "$IMG" "$VM/s$n-fixture.cpio.gz" >"$VM/s$n.cpio.gz"
}

# boot N NETDEV: one guest, its console in $VM/sN.console, its ttyS1 the
# pipes $VM/sN.ctl.{in,out}.
boot() {
	local n=$1 netdev=$2
	rm -f "$VM/s$n.ctl.in" "$VM/s$n.ctl.out" && mkfifo "$VM/s$n.ctl.in" "$VM/s$n.ctl.out"
	qemu-system-x86_64 -accel tcg -cpu qemu64 -smp 1 -m 384M \
		-kernel "$KERNEL" -initrd "$VM/s$n.cpio.gz" \
		-append "console=ttyS0 loglevel=4 panic=-1" \
		-netdev "$netdev" -device virtio-net-pci,netdev=wan,mac=52:54:00:18:00:0$n \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-display none -monitor none -serial "file:$VM/s$n.console" \
		-serial "pipe:$VM/s$n.ctl" -no-reboot \
		>"$VM/s$n.qemu.log" 2>&1 &
	PIDS+=($!)
}

port_listening() { ss -ltn "sport = :$1" | grep -q LISTEN; }

# run_pair: boots s1 (listening) then s2 (connecting) and waits for both, at
# most TIMEOUT s in all. RC[1], RC[2]: qemu's exit code ((guest code << 1) | 1)
# or "timeout". ELAPSED: seconds.
run_pair() {
	local port=$((20000 + $$ % 20000)) t0 deadline n p
	t0=$(date +%s.%N)
	boot 1 "socket,id=wan,listen=127.0.0.1:$port"
	for _ in $(seq 50); do port_listening "$port" && break; sleep 0.1; done
	boot 2 "socket,id=wan,connect=127.0.0.1:$port"
	T0=$t0
	: >"$VM/authority.log"
	for n in 1 2; do
		grep -a --line-buffered -E '^(pubkey|roster-ok) ' <"$VM/s$n.ctl.out" >"$VM/s$n.ctl.log" &
		HELPERS+=($!)
	done
	authority &
	HELPERS+=($!)
	deadline=$(($(date +%s) + TIMEOUT))
	for n in 1 2; do
		p=${PIDS[$((n - 1))]}
		while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
		if kill -0 "$p" 2>/dev/null; then
			RC[$n]=timeout
		else
			wait "$p"
			RC[$n]=$?
		fi
	done
	stop_guests
	ELAPSED=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b - a}')
}
