#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the Umbral firmware initramfs from what is installed on this Debian
# machine: static busybox, our binaries and the shared libraries they load,
# iproute2, kmod, wg, the kernel modules of one linux-image version, and
# rootfs-overlay/. The same inputs give the same bytes (sorted file list, fixed
# mtimes, owner 0:0, gzip -n), so two builds can be compared by SHA-256.
#
#   mkimage.sh BIN_DIR OUT.cpio.gz KVER
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$1" && pwd)
OUT=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
KVER=$3
SDE=${SOURCE_DATE_EPOCH:-0}
MODSRC=/lib/modules/$KVER

die() { echo "mkimage: $*" >&2; exit 1; }
[ -d "$MODSRC" ] || die "no $MODSRC: apt-get install linux-image-amd64"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	die "/bin/busybox is not static: apt-get install busybox-static"
for f in "$BIN/umbrald" "$BIN/umbral"; do [ -x "$f" ] || die "no $f: run make"; done

# Staged outside the build directory: the top Makefile includes every *.d
# under it, and etc/init.d would be one.
STAGE=$(mktemp -d /tmp/umbral-image.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
chmod 0755 "$STAGE"
cd "$STAGE"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc proc sys dev run tmp root \
	var/lib/umbral var/log/umbral lib/modules

# Programs, each with every library ldd resolves for it, at the same path.
put_elf() { # SRC DEST
	install -D -m 0755 "$1" ".$2"
	ldd "$1" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
		[ -e ".$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" ".$lib"
	done
}
put_elf "$BIN/umbrald" /usr/sbin/umbrald
put_elf "$BIN/umbral" /usr/bin/umbral
put_elf "$(readlink -f /bin/ip)" /usr/sbin/ip
put_elf /usr/bin/wg /usr/bin/wg
put_elf /usr/sbin/nft /usr/sbin/nft
put_elf /usr/bin/kmod /usr/sbin/kmod
for t in modprobe insmod rmmod lsmod depmod modinfo; do ln -s kmod "usr/sbin/$t"; done
ln -s /usr/sbin/kmod sbin/modprobe # the kernel's modprobe_path, for modules loaded by name

# busybox for everything else; real tools above win (PATH puts /usr first).
install -m 0755 /bin/busybox bin/busybox
for a in $(bin/busybox --list | LC_ALL=C sort); do
	case $a in busybox | ip | modprobe | insmod | rmmod | lsmod | depmod | modinfo) continue ;; esac
	[ -e "bin/$a" ] || ln -s busybox "bin/$a"
done

# Kernel modules: the whole netfilter tree (nftables loads expressions and
# loggers on demand, and not all of them are listed as dependencies), the
# crypto trees (libcrc32c, needed by nf_tables, asks for "crc32c" by name),
# the links we build, and everything those depend on, per modules.dep.
want=$(cd "$MODSRC" && { find kernel/net/netfilter kernel/net/ipv4/netfilter \
	kernel/net/ipv6/netfilter kernel/net/bridge/netfilter kernel/crypto \
	kernel/arch/x86/crypto kernel/lib/crypto -name '*.ko*' 2>/dev/null
	for m in wireguard veth virtio_net virtio_pci; do
		grep -E "^([^:]*/)?$m\.ko(\.[a-z]+)?:" modules.dep | cut -d: -f1
	done; })
closure=$(for m in $want; do
	echo "$m"; grep -E "^$m:" "$MODSRC/modules.dep" | cut -d: -f2 | tr ' ' '\n'
done | sed '/^$/d' | LC_ALL=C sort -u)
for m in $closure; do
	install -D -m 0644 "$MODSRC/$m" "lib/modules/$KVER/$m"
done
cp "$MODSRC/modules.order" "$MODSRC/modules.builtin" "$MODSRC/modules.builtin.modinfo" \
	"lib/modules/$KVER/" 2>/dev/null || true
depmod -b "$STAGE" "$KVER"
echo "$KVER" >etc/umbral-kernel

# The overlay last: it may replace anything above.
cp -a "$top/rootfs-overlay/." .
chmod 0755 init

# Fixed metadata, then one archive in a fixed order.
find . -exec touch -h -d "@$SDE" {} +
find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
	cpio --quiet --reproducible -o -H newc -R 0:0 | gzip -n -9 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkimage: $OUT ($(du -h "$OUT" | cut -f1), kernel $KVER, $(echo "$closure" | wc -w) modules)"
