# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Shared by check-vm and bench-vm: two firmware guests under qemu (TCG),
# s1 (wan 198.18.1.2/24, lan 10.1.1.1/24) and s2 (wan 198.18.2.2/24,
# lan 10.2.1.1/24), joined wan to wan by a qemu socket netdev on 127.0.0.1:
# that link is the whole "internet" (each black routes 198.18.0.0/16 on-link).
# Each guest's LAN is a `lan` namespace inside it behind a veth, 10.N.1.10/24.
# Each guest makes its own WireGuard key (`umbral key generate`, at boot); the
# two learn each other's public key over a second serial line (ttyS1, a qemu
# pipe relayed here) and add each other with `umbral site add`.
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
# Kills our guests by PID, whatever happened.
stop_guests() {
	local p
	for p in "${PIDS[@]}" "${RELAYS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
RELAYS=()
# relay A B: the "pubkey" lines guest sA writes on its ttyS1, to sB's ttyS1.
relay() {
	grep -a --line-buffered '^pubkey ' <"$VM/s$1.ctl.out" >"$VM/s$2.ctl.in" &
	RELAYS+=($!)
}

[ -r "$IMG" ] && [ -r "$KERNEL" ] || { echo "no $IMG or $KERNEL: make image" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "no qemu-system-x86_64: make deps" >&2; exit 1; }
mkdir -p "$VM"

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
# other site M in test.conf, the script as /etc/umbral/test.sh, test programs,
# and BOOT_HOOK if set as rcS's UMBRAL_BOOT_HOOK), appended to the image as a
# second cpio archive: the kernel unpacks both, in order. With BARE=1 there
# is no node.conf: the box stays unconfigured (no domains, no umbrald) and the
# script builds a plain kernel WireGuard link itself, for comparison.
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
	relay 1 2
	relay 2 1
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
