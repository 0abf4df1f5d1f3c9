# SPDX-License-Identifier: GPL-2.0-only
# The firmware image and the tests that boot it under qemu. Included from the
# top Makefile (which defines O and builds $(O)/umbrald and $(O)/umbral).
#
#   make image      $(O)/umbral-initramfs.cpio.gz and $(O)/vmlinuz, reproducibly
#   make check-vm   two guests joined wan to wan: kernel WireGuard end to end
#   make bench-vm   throughput between the two guests' LANs (not a test)

# make deps installs these too: the kernel the image boots is Debian's
# linux-image-amd64, never whatever happens to be in /boot.
VMDEBPKGS = linux-image-amd64 qemu-system-x86 busybox-static kmod cpio wireguard-tools iproute2
DEBPKGS += $(VMDEBPKGS)
# The kernel the image is for: the one linux-image-amd64 points at, never `uname -r`.
KVER ?= $(shell dpkg-query -W -f='$${Depends}' linux-image-amd64 2>/dev/null | \
	sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
# Fixed timestamps inside the image: the last commit's, so a rebuild is byte-identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
VMIMAGE = $(O)/umbral-initramfs.cpio.gz
VMLINUZ = $(O)/vmlinuz

vm-deps: deps

image: deps all
	@[ -n "$(KVER)" ] || { echo "image: no linux-image-amd64 (make deps)"; exit 1; }
	tests/vm/mkimage.sh $(O) $(VMIMAGE) $(KVER)
	install -m 0644 /boot/vmlinuz-$(KVER) $(VMLINUZ)
	@sha256sum $(VMIMAGE)

# Builds the image twice from the same inputs and compares the bytes.
image-repro: image
	@cp $(VMIMAGE) $(O)/umbral-initramfs.first.cpio.gz
	tests/vm/mkimage.sh $(O) $(VMIMAGE) $(KVER)
	@a=$$(sha256sum <$(O)/umbral-initramfs.first.cpio.gz); b=$$(sha256sum <$(VMIMAGE)); \
	rm -f $(O)/umbral-initramfs.first.cpio.gz; echo "image-repro: $$a"; \
	[ "$$a" = "$$b" ] && echo "image-repro: two builds, same SHA-256" || \
	{ echo "image-repro: builds differ: $$b"; exit 1; }

check-vm: image
	tests/vm/check-vm $(O)

# make check boots the guests too (about a minute; check-vm alone is < 3 min).
check: check-vm

bench-vm: image
	tests/vm/bench-vm $(O)

.PHONY: vm-deps image image-repro check-vm bench-vm
