# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz/fuzz.mk — libFuzzer harnesses for every parser of outside input.
# Include it from the top Makefile, or run it alone from the top of the tree:
#   make -f tests/fuzz/fuzz.mk fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="edit uapi"]
# `fuzz` first replays tests/fuzz/regress/NAME-*.bin (crashes found before), then
# runs each harness for FUZZ_SECONDS seeded from tests/fuzz/corpus/NAME, printing
# one line per harness; it fails if any crashed. New inputs go to
# build-fuzz/corpus/NAME, not the tree; a crash is saved as build-fuzz/crash/NAME-*:
# copy it to tests/fuzz/regress/ once fixed. Needs clang with its libFuzzer
# runtime (Debian: clang, libclang-rt-14-dev).

FUZZ_CC ?= clang
FUZZ_O ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= ctlmsg edit uapi genl route dhcp roster script
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -g -O1 -D_GNU_SOURCE -I. $(FUZZ_SAN)
# Warnings are the gcc build's job for the library (clang's -Wformat=2 differs);
# the harnesses themselves are held to them.
FUZZ_WARN = -Wall -Wextra -Wformat=2 -Wshadow -Werror
FUZZ_LIBS = -lev -lnftnl -lmnl -lsodium -lsqlite3 -lseccomp
# The library as the top Makefile sees it (its mains left out), built by clang with
# coverage for libFuzzer (fuzzer-no-link) and the sanitizers.
FUZZ_LIBSRC = $(filter-out core/umbrald.c cli/umbral.c, \
	$(wildcard core/*.c policy/*.c wg/*.c storage/*.c cli/*.c))
FUZZ_LIBOBJ = $(FUZZ_LIBSRC:%.c=$(FUZZ_O)/%.o)
FUZZ_BINS = $(FUZZ_TARGETS:%=$(FUZZ_O)/fuzz_%)

fuzz: fuzz-build fuzz-regress
	@fail=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_O)/corpus/$$t $(FUZZ_O)/crash $(FUZZ_O)/log; \
		log=$(FUZZ_O)/log/$$t.log; \
		$(FUZZ_O)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-max_len=4096 -close_fd_mask=2 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_O)/crash/$$t- \
			$(FUZZ_O)/corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; rc=$$?; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
		cov=$$(grep -o 'cov: [0-9]*' $$log | tail -1 | cut -d' ' -f2); \
		ft=$$(grep -o 'ft: [0-9]*' $$log | tail -1 | cut -d' ' -f2); \
		corp=$$(grep -o 'corp: [0-9]*' $$log | tail -1 | cut -d' ' -f2); \
		if [ $$rc -eq 0 ]; then \
			echo "fuzz $$t: ok, $${execs:-?} execs, cov $${cov:-?}, ft $${ft:-?}, corpus $${corp:-?}"; \
		else \
			fail=$$((fail+1)); \
			echo "fuzz $$t: CRASH (rc $$rc) after $${execs:-?} execs: $$(ls $(FUZZ_O)/crash/$$t-* 2>/dev/null | tr '\n' ' ')see $$log"; \
		fi; \
	done; [ $$fail -eq 0 ]

fuzz-build: $(FUZZ_BINS)

# Every input that once crashed a harness, run once: a regression test.
fuzz-regress: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
		set -- tests/fuzz/regress/$$t-*.bin; [ -e "$$1" ] || continue; \
		if $(FUZZ_O)/fuzz_$$t "$$@" >$(FUZZ_O)/regress-$$t.log 2>&1; then \
			echo "fuzz-regress $$t: $$# inputs ok"; \
		else fail=1; echo "fuzz-regress $$t: FAILED, see $(FUZZ_O)/regress-$$t.log"; fi; \
	done; [ $$fail -eq 0 ]

# Regenerates the binary seeds (control requests, genl dumps, route messages).
fuzz-seeds: $(FUZZ_O)/mkseeds
	@mkdir -p tests/fuzz/corpus/ctlmsg tests/fuzz/corpus/genl tests/fuzz/corpus/route
	$(FUZZ_O)/mkseeds

$(FUZZ_O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_O)/libumbral.a: $(FUZZ_LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libumbral.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

$(FUZZ_O)/mkseeds: tests/fuzz/mkseeds.c $(FUZZ_O)/libumbral.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -o $@ $^ $(FUZZ_LIBS)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-seeds
.PRECIOUS: $(FUZZ_O)/%.o $(FUZZ_O)/libumbral.a
-include $(shell find $(FUZZ_O) -name '*.d' 2>/dev/null)
