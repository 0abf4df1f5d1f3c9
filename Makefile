# SPDX-License-Identifier: GPL-2.0-only
# Umbral build. `make` builds umbrald and umbral; `make check` runs every test;
# `make demo` brings up the two-site lab; `make bench` measures.

CC ?= cc
O ?= build
SAN ?=
DEBPKGS = build-essential pkg-config libev-dev libnftnl-dev libmnl-dev libsodium-dev \
	libsqlite3-dev libcmocka-dev nftables iproute2 wireguard-go wireguard-tools \
	iperf3 tcpdump iputils-ping udhcpc isc-dhcp-client socat python3 procps jq \
	kea-admin dnsmasq-base nmap ethtool conntrack \
	clang libclang-rt-14-dev libedit-dev libseccomp-dev

CFLAGS_BASE = -std=gnu11 -O2 -g -Wall -Wextra -Wformat=2 -Wshadow -Werror \
	-D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -I.
LDFLAGS_BASE = -pie -Wl,-z,relro,-z,now
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_BASE += -fsanitize=address,undefined
O := build-san
endif
CFLAGS := $(CFLAGS_BASE) $(CFLAGS)
LDFLAGS := $(LDFLAGS_BASE) $(LDFLAGS)
LIBS = -lev -lnftnl -lmnl -lsodium -lsqlite3 -lseccomp

# Every .c under the module folders is library code, except the mains.
MAINS = core/umbrald.c cli/umbral.c
LIBSRC = $(filter-out $(MAINS),$(wildcard core/*.c policy/*.c wg/*.c storage/*.c cli/*.c))
LIBOBJ = $(LIBSRC:%.c=$(O)/%.o)
UNIT = $(patsubst tests/unit/%.c,$(O)/tests/%,$(wildcard tests/unit/test_*.c))

all: $(O)/umbrald $(O)/umbral

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(O)/libumbral.a: $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(O)/umbrald: $(O)/core/umbrald.o $(O)/libumbral.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/umbral: $(O)/cli/umbral.o $(O)/libumbral.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -ledit

$(O)/tests/%: tests/unit/%.c $(O)/libumbral.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

unit: $(UNIT)
	@pass=0; fail=0; for t in $(UNIT); do \
		if $$t >$$t.log 2>&1; then pass=$$((pass+1)); else fail=$$((fail+1)); cat $$t.log; fi; \
	done; echo "unit: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# Installs the Debian packages the project needs, only when some are missing,
# and creates the administrators' and operators' groups (DESIGN §5) and the
# system user every umbrald becomes after start-up (issue 7).
deps:
	@missing=$$(for p in $(DEBPKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all present"; fi
	@for g in umbral-admin umbral-operator; do \
		getent group $$g >/dev/null || groupadd --system $$g; done
	@getent passwd umbral >/dev/null || \
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin umbral

check: deps all unit
	tests/integration/run $(O)

# Six minutes of two-site traffic across WireGuard rekeys (issue 5); not in check.
check-long: deps all
	UMBRAL_BIN=$(abspath $(O)) flock -o /run/umbral-lab.lock bash tests/long/t_rekey.sh

demo: deps all
	tests/lab/demo $(O)

$(O)/tests/wggo_tune: tests/bench/wggo_tune.c $(O)/libumbral.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/policy_gen: tests/bench/policy_gen.c $(O)/libumbral.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

bench: deps all $(O)/tests/wggo_tune $(O)/tests/policy_gen
	tests/bench/run $(O)

clean:
	rm -rf build build-san build-fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance -I. core policy wg storage cli

# make fuzz: every libFuzzer harness for FUZZ_SECONDS (default 60) each.
include tests/fuzz/fuzz.mk
# make image, check-vm, bench-vm: the firmware image under qemu.
include tests/vm/vm.mk

.PHONY: all unit deps check check-long demo bench clean format lint
.SECONDARY:
-include $(shell find $(O) -name '*.d' 2>/dev/null)
