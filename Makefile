# shardkit -- build, test, benchmark, fuzz and install.
#
# Every program is cmd/NAME.c linked against libshardkit (lib/*.c); every
# unit test is tests/unit/test_NAME.c; every fuzz target tests/fuzz/fuzz_NAME.c.
# Adding a file adds its target: nothing here lists programs by hand.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   ?= build
CFLAGS  ?= -O2 -g
SANITIZE ?=
FUZZ_SECONDS ?= 30

WARNINGS  = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers
ALL_CPPFLAGS = -D_GNU_SOURCE -Ilib $(shell pkg-config --cflags libpq) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(WARNINGS) $(CFLAGS) $(SANITIZE)
LIBS     = -lpq -ljansson -lconfig -lxxhash -lm
ALL_LDFLAGS = $(SANITIZE) $(LDFLAGS)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

LIB_SRC   = $(wildcard lib/*.c)
LIB_OBJ   = $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
LIB_A     = $(BUILD)/libshardkit.a
CMD_SRC   = $(wildcard cmd/*.c)
PROGRAMS  = $(CMD_SRC:cmd/%.c=$(BUILD)/bin/%)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
EXAMPLE_SRC = $(wildcard examples/*.c)
EXAMPLE_BIN = $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
MAN_PAGES = $(wildcard man/*.[1-8])
SCRIPTS   = $(filter-out scripts/bootstrap,$(wildcard scripts/*))

.PHONY: all programs unit-tests examples check check-fast bench fuzz install clean

all: programs unit-tests examples

programs: $(PROGRAMS)

unit-tests: $(UNIT_BIN)

# Example clients (examples/NAME.c): built and tested, never installed.
examples: $(EXAMPLE_BIN)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -DSHARDKIT_VERSION='"$(VERSION)"' $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: cmd/%.c $(LIB_A) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -DSHARDKIT_VERSION='"$(VERSION)"' $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LIBS)

$(BUILD)/examples/%: examples/%.c $(LIB_A) $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -DSHARDKIT_VERSION='"$(VERSION)"' $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_A) $(wildcard lib/*.h) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(LIBS) -lcmocka

# Unit, CLI and integration tests, then all of them again under ASan+UBSan.
check:
	tests/run-all

# One pass without sanitizers: for the edit-compile-test loop.
check-fast: all
	tests/run-suite $(BUILD)

bench: programs
	bench/run

# libFuzzer targets need clang; each runs for FUZZ_SECONDS.
fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)

install: programs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin
	for page in $(MAN_PAGES); do \
	    section=$${page##*.}; \
	    install -d $(DESTDIR)$(PREFIX)/share/man/man$$section; \
	    install -m 0644 $$page $(DESTDIR)$(PREFIX)/share/man/man$$section; \
	done

clean:
	rm -rf build build-* 
