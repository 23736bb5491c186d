# ipcscope: build, test, bench and install.
#
#   make          build everything into build/
#   make run      install missing packages, build, open the dashboard
#   make test     install missing packages, build, run every test
#   make bench    measure (never asserted): round trips against their floors
#   make load     measure (never asserted): the tcp server under a crowd and a churn
#   make asan     build under AddressSanitizer + UBSan into build-asan/ and test
#   make fuzz     build tests/fuzz/fuzz_*.c with clang's libFuzzer into build-fuzz/
#                 and run each for FUZZ_SECONDS (default 60), one at a time;
#                 FUZZ_ONLY=channel runs only the targets whose name has it
#   make po-update  extract the narration's strings again and merge them into
#                 po/zh_CN/*.po (mk/po.sh); make builds the catalog from those
#   make install  PREFIX=/usr/local DESTDIR=
#   make clean

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

CC      ?= cc
PKGS    := libuv libcjson
CFLAGS  ?= -O2 -g
# Tables (options, lessons) name only the fields a row needs; the rest are 0.
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers \
           -MMD -MP -Ilib \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ifeq ($(CI),true)
CFLAGS  += -Werror
endif
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

LIB_SRC   := $(wildcard lib/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA      := $(BUILD)/libipcscope.a

# A demo is demos/NAME.c, or a directory demos/NAME/ of modules (NAME.h and
# several .c files) when one file would be too long to read.
DEMO_SRC  := $(wildcard demos/*.c)
DEMO_DIRS := $(patsubst demos/%/,%,$(sort $(dir $(wildcard demos/*/*.c))))
DEMOS     := $(DEMO_SRC:demos/%.c=$(BUILD)/demos/%) $(DEMO_DIRS:%=$(BUILD)/demos/%)
DEMO_JS   := $(patsubst demos/%,$(BUILD)/demos/%,$(wildcard demos/*.js))

# The dashboard's core: what in tui/ needs no terminal (the model, text,
# lessons, /proc, languages, the catalogue, a demo's session), as a library
# that ipcscope and the unit tests link.
TUI_SRC   := $(wildcard tui/*.c)
TUI_CORE  := $(BUILD)/tui/model.o $(BUILD)/tui/text.o $(BUILD)/tui/lesson.o \
             $(BUILD)/tui/procfs.o $(BUILD)/tui/i18n.o $(BUILD)/tui/catalogue.o \
             $(BUILD)/tui/session.o $(BUILD)/tui/lanes.o $(BUILD)/tui/export.o
TUI_OBJ   := $(filter-out $(TUI_CORE),$(TUI_SRC:%.c=$(BUILD)/%.o))
TUIA      := $(BUILD)/libipcscope-tui.a
IPCSCOPE  := $(BUILD)/bin/ipcscope

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TUI_UNITS := $(filter $(BUILD)/tests/test_model $(BUILD)/tests/test_procfs $(BUILD)/tests/test_lanes \
                      $(BUILD)/tests/test_session $(BUILD)/tests/test_lessons,$(UNITS))
HELP_SRC  := $(wildcard tests/helpers/*.c)
HELPERS   := $(HELP_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCHES   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_ONLY    ?=
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined

# The Chinese narration: GNU gettext's catalog "ipcscope", merged from one .po
# per part of the source (po/zh_CN/lib.po, po/zh_CN/NAME.po for a demo) and
# compiled where lib/events looks for it beside the programs (build/locale
# from build/demos and build/bin; PREFIX/share/locale once installed).
PO_SRC    := $(wildcard po/zh_CN/*.po)
MO        := $(BUILD)/locale/zh_CN/LC_MESSAGES/ipcscope.mo

.PHONY: all deps run test bench load asan fuzz fuzzers clean install po-update
all: $(LIBA) $(DEMOS) $(DEMO_JS) $(if $(TUI_SRC),$(IPCSCOPE)) $(UNITS) $(HELPERS) $(BENCHES) \
     $(if $(PO_SRC),$(MO))

deps:
	@sh mk/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@$(IPCSCOPE)

test: deps
	@$(MAKE) --no-print-directory all
	@sh tests/run.sh $(BUILD)

bench:
	@sh mk/deps.sh bench
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh $(BUILD)

# Not part of `make bench`: a minute or more of a thousand clients.
load: deps
	@$(MAKE) --no-print-directory all
	@sh bench/load.sh $(BUILD)

asan: deps
	@CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" \
	    $(MAKE) --no-print-directory BUILD=build-asan all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    sh tests/run.sh build-asan

# Not part of `make test`: each target runs for minutes. lib/ and the tui core
# are built again with the fuzzer's coverage and the sanitizers, apart from
# build/, and the fuzzers run one at a time (tests/fuzz/run.sh).
fuzz:
	@sh mk/deps.sh fuzz
	@CFLAGS="$(FUZZ_FLAGS)" LDFLAGS="$(FUZZ_FLAGS)" \
	    $(MAKE) --no-print-directory CC=clang BUILD=build-fuzz fuzzers
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_ONLY)

fuzzers: $(FUZZERS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Made anew each time: `ar r` would keep the object of a source since removed.
$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/demos/%: $(BUILD)/demos/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A directory demo's objects go under build/modules/, since build/demos/NAME
# is its binary.
$(BUILD)/modules/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

define demo_dir_rule
$(BUILD)/demos/$(1): $(patsubst %.c,$(BUILD)/modules/%.o,$(wildcard demos/$(1)/*.c)) $(LIBA)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(DEMO_DIRS),$(eval $(call demo_dir_rule,$(d))))

# A demo's own libraries, for that demo alone.
$(BUILD)/demos/cluster: LDLIBS += -lhttp_parser

# A demo's node side (e.g. fork-ipc-child.js) sits beside its binary.
$(BUILD)/demos/%.js: demos/%.js
	@mkdir -p $(dir $@)
	cp $< $@

# msgcat --use-first: a string two parts share (lib's and a demo's) is
# translated once, by the first file that has it; msgfmt --check refuses a
# translation whose %-directives differ from its English.
$(MO): $(PO_SRC)
	@mkdir -p $(dir $@) $(BUILD)/po
	msgcat --use-first -o $(BUILD)/po/zh_CN.po $(PO_SRC)
	msgfmt --check -o $@ $(BUILD)/po/zh_CN.po

po-update:
	@sh mk/po.sh update

$(TUIA): $(TUI_CORE)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(IPCSCOPE): $(TUI_OBJ) $(TUIA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs ncursesw 2>/dev/null)

$(BUILD)/tui/%.o: CFLAGS += $(shell pkg-config --cflags ncursesw 2>/dev/null)

# http: http-parser reads requests; libcurl's multi interface is the client,
# on the libuv loop; wslay frames WebSocket messages; libcrypto's SHA-1 makes
# the handshake's Sec-WebSocket-Accept.
$(BUILD)/demos/http: LDLIBS += -lhttp_parser -lwslay \
    $(shell pkg-config --libs libcurl libcrypto 2>/dev/null)
$(BUILD)/modules/demos/http/%.o: CFLAGS += $(shell pkg-config --cflags libcurl libcrypto 2>/dev/null)
# http's servers of step 8 broadcast through Redis pub/sub (hiredis, libuv adapter).
$(BUILD)/demos/http: LDLIBS += -lhiredis

# shared-memory runs threads (pthread_create) and maps POSIX shm (shm_open).
$(BUILD)/demos/shared-memory: LDLIBS += -pthread
# message-queue talks to redis-server through hiredis (its libuv adapter).
$(BUILD)/demos/message-queue: LDLIBS += -lhiredis
# ... and its queues without Redis: libzmq (push/pull), librt (mq_open).
$(BUILD)/demos/message-queue: LDLIBS += $(shell pkg-config --libs libzmq 2>/dev/null) -lrt
# worker-pool runs a pool of threads (pthread_create, pthread_cond_wait).
$(BUILD)/demos/worker-pool: LDLIBS += -pthread
# MessagePack beside JSON (serialize.c), Debian's libmsgpack-dev
$(BUILD)/demos/patterns: LDLIBS += $(shell pkg-config --libs msgpack 2>/dev/null || echo -lmsgpackc)

$(BUILD)/tests/test_%.o: tests/unit/test_%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# Unit tests of the dashboard's core link its library before lib/.
$(TUI_UNITS): $(BUILD)/tests/%: $(BUILD)/tests/%.o $(TUIA) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The message-queue floors: hiredis, libzmq and POSIX mq, blocking.
$(BUILD)/bench/bench_redis_rtt: LDLIBS += -lhiredis $(shell pkg-config --libs libzmq 2>/dev/null) -lrt
# The libuv baseline of the message-queue round trip: hiredis's async API.
$(BUILD)/bench/bench_redis_uv: LDLIBS += -lhiredis

# A fuzz target links the tui core before lib/, as the dashboard does.
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(TUIA) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itui $(LDFLAGS) -o $@ $< $(TUIA) $(LIBA) $(LDLIBS)

# `ipcscope compare` measures with the bench scripts and programs: they go to
# libexec/ipcscope/bench/, and libexec/ipcscope/ stands for the build tree
# that bench/compare.sh is given (its demos/ is the demos themselves).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/ipcscope \
	    $(DESTDIR)$(PREFIX)/libexec/ipcscope/bench \
	    $(DESTDIR)$(PREFIX)/share/ipcscope/lessons $(DESTDIR)$(PREFIX)/share/doc/ipcscope
	$(if $(TUI_SRC),install -m 755 $(IPCSCOPE) $(DESTDIR)$(PREFIX)/bin/ipcscope)
	$(if $(DEMOS),install -m 755 $(DEMOS) $(DESTDIR)$(PREFIX)/libexec/ipcscope/)
	$(if $(wildcard demos/*.js),install -m 644 $(wildcard demos/*.js) $(DESTDIR)$(PREFIX)/libexec/ipcscope/)
	$(if $(BENCHES),install -m 755 $(BENCHES) $(DESTDIR)$(PREFIX)/libexec/ipcscope/bench/)
	install -m 644 $(wildcard bench/*.sh bench/*.js) $(DESTDIR)$(PREFIX)/libexec/ipcscope/bench/
	ln -sfn . $(DESTDIR)$(PREFIX)/libexec/ipcscope/demos
	$(if $(wildcard docs/lessons/*.md),install -m 644 $(wildcard docs/lessons/*.md) $(DESTDIR)$(PREFIX)/share/ipcscope/lessons/)
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/ipcscope/
	$(if $(PO_SRC),install -d $(DESTDIR)$(PREFIX)/share/locale/zh_CN/LC_MESSAGES)
	$(if $(PO_SRC),install -m 644 $(MO) $(DESTDIR)$(PREFIX)/share/locale/zh_CN/LC_MESSAGES/)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
