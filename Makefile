# GenomeDB build. Plain GNU make, no configure step.
#
#   make            build/libgenomedb.a, build/libgenomedb.so, build/genomedb
#   make test       the release build (-O2): its unit binaries, the
#                   integrity files' 100% line floor from them (covunit),
#                   the end-to-end tests of what users run (RELEASE_TESTS:
#                   make install's layout, the demo); then the same -O2
#                   built with --coverage in build/tcov: its unit binaries
#                   and the whole pytest suite (fuzz corpora, real FUSE
#                   mounts), failing under 90% of lines overall (testcov)
#   make pytest     the pytest suite alone (it runs the unit binaries too)
#   make install    PREFIX=/usr/local, DESTDIR honoured: binary, libraries,
#                   public headers (include/genomedb/), man page, pkg-config,
#                   Python package, /sbin/mount.genomedb; make uninstall
#   make asan       same tests with AddressSanitizer + UBSan in build/asan/
#   make deps       apt-get install what is missing (Debian 12)
#   make demo       import the bundled real genomes, mount under ./mnt, show it
#   make bench      side-by-side benchmarks against peers, then the goal table
#                   (QUICK=1: smaller inputs)
#   make bench-scale SIZE=1e10  a generated genome past RAM, 1 GiB cgroup (root)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (clang, build/fuzz)
#   make stress     tests/stress.py and tests/pathfuzz.py, STRESS_SECONDS each
#   make coverage   gcc --coverage -O0 build in build/cov (each line counted
#                   where it is: the figures docs/RELIABILITY.md quotes), unit
#                   binaries + pytest, line/branch figures per folder (gcovr);
#                   fails under 90% of lines, or under 100% in
#                   tools/coverage.py's INTEGRITY
#
# WERROR=0 turns -Werror off for newer compilers (git's DEVOPTS=no-error).

CC      ?= gcc
PYTHON  ?= /usr/bin/python3
BUILD   ?= build
OPT     ?= -O2 -g
WERROR  ?= 1

# Evaluated lazily (=): on a fresh machine `make test` installs libfuse3-dev
# first and only then builds, in a sub-make that sees it.
PKG_CFLAGS = $(shell pkg-config --cflags fuse3 2>/dev/null || echo -I/usr/include/fuse3)
PKG_LIBS   = $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)

WARN := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wwrite-strings -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif
CFLAGS  ?=
override CFLAGS += -std=gnu11 $(OPT) $(WARN) -fPIC -I. -D_FILE_OFFSET_BITS=64 \
	-DFUSE_USE_VERSION=314 $(PKG_CFLAGS) $(SAN)
LDFLAGS ?=
override LDFLAGS += $(SAN)
LIBS     = $(PKG_LIBS) -lhts -lhtscodecs -lzstd -lz -lcrypto -luring -lpthread -lm

MODULES ?= common simd codecs store seq cache graph graph/formats motif variants annotations reads fs fs/ns fs/daemon api
LIB_SRC := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%)
HEADERS  := $(wildcard */*.h */*/*.h) $(wildcard tests/unit/*.h)
PLUGINS  := $(BUILD)/examples/plugin/libgdb_cpg.so \
	$(foreach b,1 2 3 4 5,$(BUILD)/tests/plugin/bad$(b).so)

.PHONY: all test unit covunit testcov pytest install uninstall asan coverage deps demo demo-stop bench bench-scale fuzz stress format format-check clean

all: $(BUILD)/genomedb $(BUILD)/libgenomedb.so $(UNIT_BIN) $(FUZZ_BIN) \
	$(BUILD)/tests/genomedb_fp $(BUILD)/tests/sysfail $(PLUGINS)

$(BUILD)/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libgenomedb.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libgenomedb.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LIBS)

$(BUILD)/genomedb: $(TOOL_OBJ) $(BUILD)/libgenomedb.a
	$(CC) -o $@ $(TOOL_OBJ) $(BUILD)/libgenomedb.a $(LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libgenomedb.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgenomedb.a $(LDFLAGS) $(LIBS)

# sysfail: runs a program with chosen system calls failing (seccomp), for
# the daemon's error paths (tests/test_mount_uring_errors.py).
$(BUILD)/tests/sysfail: tests/helpers/sysfail.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

# Plugins (api/genomedb_plugin.h): the example, and the broken ones
# tests/test_plugin_mount.py expects the daemon to refuse. They link
# against nothing of GenomeDB.
$(BUILD)/examples/plugin/libgdb_cpg.so: examples/plugin/cpg.c api/genomedb_plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< $(LDFLAGS)

$(BUILD)/tests/plugin/bad%.so: tests/plugin/bad_plugin.c api/genomedb_plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DBAD=$* -shared -o $@ $< $(LDFLAGS)

# test_store_oom and test_api_oom fail the library's allocations one at a
# time: its malloc, calloc, realloc and strdup calls go to the wrappers in
# tests/unit/unit_oom.h;
# test_store_io fails the store's system calls one at a time the same way.
# (Also for their coverage builds, covunit below.)
comma := ,
wrap = -Wl,$(subst $(eval) ,$(comma),$(1:%=--wrap=%))
OOM_WRAP := malloc calloc realloc strdup
IO_WRAP := open64 openat64 close fstat64 fstatat64 pread64 pwrite64 write \
	fsync renameat flock mmap64 mkdir opendir fdopendir dup unlinkat
$(BUILD)/tests/test_store_oom $(BUILD)/covu/tests/test_store_oom \
$(BUILD)/tests/test_api_oom: override LDFLAGS += $(call wrap,$(OOM_WRAP))
$(BUILD)/tests/test_store_io $(BUILD)/covu/tests/test_store_io: \
	override LDFLAGS += $(call wrap,$(IO_WRAP))
# test_simd_kmer fails the k-mer table's growth (mremap).
$(BUILD)/tests/test_simd_kmer: override LDFLAGS += $(call wrap,mremap)
# test_daemon_races opens the window after an unlock of nodes_lock.
$(BUILD)/tests/test_daemon_races: override LDFLAGS += $(call wrap,pthread_mutex_unlock)
# test_variants_render holds the kept text buffers' lock across a fork
# (in the madvise a buffer kept is trimmed with), and a stream's lock or
# its worker (in the pthread_create that starts the worker).
$(BUILD)/tests/test_variants_render: \
	override LDFLAGS += $(call wrap,madvise pthread_create)

# genomedb_fp: genomedb whose store/ is built with -DGDB_FAILPOINTS
# (store/failpoint.h), for tests/test_failpoints.py only; never installed.
FP_STORE_OBJ := $(patsubst %.c,$(BUILD)/fp/%.o,$(wildcard store/*.c))

$(BUILD)/fp/store/%.o: store/%.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DGDB_FAILPOINTS -c $< -o $@

$(BUILD)/tests/genomedb_fp: $(TOOL_OBJ) $(FP_STORE_OBJ) \
		$(filter-out $(BUILD)/store/%,$(LIB_OBJ))
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDFLAGS) $(LIBS)

# Fuzz targets: tests/fuzz/<target>.c defines LLVMFuzzerTestOneInput; with
# tests/fuzz/driver/replay.c (zstd's regression_driver) it is an ordinary
# program of this build that replays tests/fuzz/corpus/<target>/ under
# `make test` (tests/test_fuzz_corpus.py) and `make asan`.
$(BUILD)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/driver/replay.c $(BUILD)/libgenomedb.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/fuzz/driver/replay.c $(BUILD)/libgenomedb.a $(LDFLAGS) $(LIBS)

# The same targets under libFuzzer (clang, ASan + UBSan), only for make fuzz.
$(BUILD)/fuzzers/%: tests/fuzz/%.c $(BUILD)/libgenomedb.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libgenomedb.a $(LDFLAGS) $(LIBS)

# `make test` runs each unit binary once: here first, so a broken kernel
# fails fast with its own output, and pytest then leaves out
# tests/test_unit.py (which runs the same binaries for `make pytest`).
unit: all
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# covunit: the 100% floor of tools/coverage.py's INTEGRITY files from the
# C unit tests alone, quick enough for `make test` (CI): store/ and
# simd/crc32c.c compiled -O0 --coverage into $(BUILD)/covu, the rest of
# the library taken from this build, the store's unit binaries and
# test_simd linked against that and run. The 90% overall floor needs the
# whole suite under coverage: testcov below (and `make coverage`).
COVU := $(BUILD)/covu
COVU_SRC := $(wildcard store/*.c) simd/crc32c.c
COVU_BIN := $(addprefix $(COVU)/tests/,test_store test_store_oom \
	test_store_io test_store_format test_simd)

$(COVU)/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O0 --coverage -c $< -o $@

$(COVU)/libgenomedb.a: $(COVU_SRC:%.c=$(COVU)/%.o) \
		$(filter-out $(COVU_SRC:%.c=$(BUILD)/%.o),$(LIB_OBJ))
	@rm -f $@
	ar rcs $@ $^

$(COVU)/tests/%: tests/unit/%.c $(COVU)/libgenomedb.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(COVU)/libgenomedb.a $(LDFLAGS) \
		--coverage $(LIBS)

covunit: $(COVU_BIN)
	@find $(COVU) -name '*.gcda' -delete
	@set -e; for t in $(COVU_BIN); do echo "== $$t (coverage)"; \
		$$t > $$t.log 2>&1 || { cat $$t.log; exit 1; }; done
	$(PYTHON) tools/coverage.py --unit $(COVU)

PYTEST = $(PYTEST_ENV) GENOMEDB_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q

# testcov: the 90% overall line floor within make test's time. The whole
# suite runs once, against $(TCOV): the release build's -O2, compiled
# again with --coverage (the same optimisation users get, instrumented;
# concurrent processes' counts merge in the .gcda files). The release
# build itself runs the unit binaries (make unit, before this),
# RELEASE_TESTS (what only the uninstrumented build shows: make install's
# layout, the demo) and covunit. tools/coverage.py --overall names the
# folders and files short of the floor and by how many lines. (-O2 counts
# lines a little differently from make coverage's -O0: a line the
# optimiser folds away is no line.) Both builds compile JOBS files at a
# time (2: CI's cores).
TCOV := $(BUILD)/tcov
# GDB_COVERAGE: the unit tests' forked children write their counts
# (tests/unit/unit.h unit_child_exit) before they _exit.
COV_SAN := --coverage -DGDB_COVERAGE
JOBS ?= 2
RELEASE_TESTS := tests/test_python_install.py tests/test_demo.py

testcov:
	$(MAKE) -j$(JOBS) BUILD=$(TCOV) SAN="$(COV_SAN)" all
	@find $(TCOV) -name '*.gcda' -delete
	$(MAKE) BUILD=$(TCOV) SAN="$(COV_SAN)" unit
	GENOMEDB_BUILD=$(abspath $(TCOV)) $(PYTHON) -m pytest -q tests \
		--ignore=tests/test_unit.py $(RELEASE_TESTS:%=--ignore=%) $(PYTEST_ARGS)
	$(PYTHON) tools/coverage.py --overall $(TCOV)

# test and demo start with deps so that the README's two commands are the
# whole set-up on a fresh Debian machine; deps is quick when all is there.
# Under make asan (SAN set) the whole suite runs against that build.
test: deps
	$(MAKE) -j$(JOBS) all
	$(MAKE) unit
ifeq ($(SAN),)
	$(MAKE) -j$(JOBS) covunit
	$(PYTEST) $(RELEASE_TESTS) $(PYTEST_ARGS)
	$(MAKE) testcov
else
	$(PYTEST) tests --ignore=tests/test_unit.py $(PYTEST_ARGS)
endif

pytest: all
	$(PYTEST) tests $(PYTEST_ARGS)

PREFIX  ?= /usr/local
DESTDIR ?=
# Not installed: template files (a level file includes them with its
# macros defined) and headers internal to a module that do not stand alone
# (the daemon's libfuse operations, the variants builder over its _int.h).
# tests/test_python_install.py compiles every installed header by itself.
PRIVATE_HEADERS := simd/align_many.h simd/align_seg.h simd/align_striped.h \
	simd/motif_combine.h simd/pwm_scan.h simd/kmer_part.h simd/kmer_roll.h \
	fs/daemon/ops.h \
	variants/build.h
PUBLIC_HEADERS := $(filter-out %_int.h $(PRIVATE_HEADERS),\
	$(foreach m,$(MODULES),$(wildcard $(m)/*.h)))

# Python package, pkg-config file and mount(8) helper (issue 13): mount
# looks for /sbin/mount.<type>, so SBINDIR is /sbin whatever PREFIX is.
SBINDIR ?= /sbin
PYDIR   ?= $(PREFIX)/lib/python3/dist-packages
GDB_VERSION = $(shell sed -n 's/^\#define GENOMEDB_VERSION "\(.*\)"/\1/p' tools/genomedb.c)
INSTALLED = bin/genomedb lib/libgenomedb.so lib/libgenomedb.a \
	lib/pkgconfig/genomedb.pc share/man/man1/genomedb.1 \
	share/doc/genomedb/examples/mnt-gdb.mount \
	$(PUBLIC_HEADERS:%=include/genomedb/%)

install: $(BUILD)/genomedb $(BUILD)/libgenomedb.so $(BUILD)/libgenomedb.a
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/genomedb $(DESTDIR)$(PREFIX)/bin/genomedb
	install -m 755 $(BUILD)/libgenomedb.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(BUILD)/libgenomedb.a $(DESTDIR)$(PREFIX)/lib/
	@set -e; for h in $(PUBLIC_HEADERS); do \
		install -D -m 644 $$h $(DESTDIR)$(PREFIX)/include/genomedb/$$h; done
	install -m 644 docs/genomedb.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(PYDIR)/genomedb $(DESTDIR)$(PREFIX)/share/doc/genomedb/examples
	sed 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(GDB_VERSION)|' tools/mount/genomedb.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/genomedb.pc
	sed 's|@BINDIR@|$(PREFIX)/bin|' tools/mount/mount.genomedb > $(DESTDIR)$(SBINDIR)/mount.genomedb
	chmod 755 $(DESTDIR)$(SBINDIR)/mount.genomedb
	install -m 644 python/genomedb/*.py $(DESTDIR)$(PYDIR)/genomedb/
	install -m 644 tools/mount/mnt-gdb.mount $(DESTDIR)$(PREFIX)/share/doc/genomedb/examples/

uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)$(PREFIX)/%) $(DESTDIR)$(SBINDIR)/mount.genomedb
	rm -rf $(DESTDIR)$(PYDIR)/genomedb $(DESTDIR)$(PREFIX)/include/genomedb \
		$(DESTDIR)$(PREFIX)/share/doc/genomedb

# The ctypes tests load the sanitized libgenomedb.so into Python, which
# needs the sanitizer runtimes preloaded (and Python's own leaks ignored);
# tests/gdbutil.py drops the preload again for the programs pytest starts,
# so genomedb itself still runs with leak checking.
ASAN_RT = $(shell $(CC) -print-file-name=libasan.so) $(shell $(CC) -print-file-name=libubsan.so)

asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
		PYTEST_ENV="LD_PRELOAD='$(ASAN_RT)' ASAN_OPTIONS=detect_leaks=0" \
		PYTEST_ARGS="$(PYTEST_ARGS)" test

# Coverage: -O0 so each line counts where it is; old counts are cleared
# first so the figures are this run's alone.
COV_BUILD = build/cov
COV_MAKE = $(MAKE) BUILD=$(COV_BUILD) OPT="-O0 -g" SAN="$(COV_SAN)"

coverage: deps
	$(COV_MAKE) all
	find $(COV_BUILD) -name '*.gcda' -delete
	$(COV_MAKE) unit
	GENOMEDB_BUILD=$(abspath $(COV_BUILD)) $(PYTHON) -m pytest -q tests \
		--ignore=tests/test_unit.py $(PYTEST_ARGS)
	$(PYTHON) tools/coverage.py $(COV_BUILD)

deps:
	sh tools/install-deps.sh

demo: deps
	$(MAKE) all
	sh tools/demo.sh

demo-stop:
	-fusermount3 -u mnt

# Benchmarks print markdown tables (pasted into docs/BENCHMARKS.md); each
# section runs GenomeDB beside its peer in the same run.
BENCH_ENV = GENOMEDB_BUILD=$(abspath $(BUILD))
SIZE ?= 1e10

BENCH_OUT = $(BUILD)/bench
BENCH_PY = $(BENCH_ENV) $(PYTHON)

# bench/mount/floor.c: the minimal libfuse file system region reads are
# measured against (a bench tool, not part of the product). It lives in
# $(BUILD)/bench, where bench/mount/regions.py finds it, whatever BENCH_OUT.
BENCH_FLOOR = $(BUILD)/bench/floor
$(BENCH_FLOOR): bench/mount/floor.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARN) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

# bench/mount/floor_uring.c: the same file system over FUSE's io_uring
# (the ring's floor; no libfuse, mounts with mount(2), root only).
BENCH_FLOOR_URING = $(BUILD)/bench/floor_uring
$(BENCH_FLOOR_URING): bench/mount/floor_uring.c fs/daemon/fuse_uring_uapi.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARN) -I. -o $@ $< -luring -lpthread

# bench/mount/firsttouch.c: a block's first touch, phase by phase, in
# process (what regions.py's first touches cost inside the daemon).
BENCH_FIRSTTOUCH = $(BUILD)/bench/firsttouch
$(BENCH_FIRSTTOUCH): bench/mount/firsttouch.c $(BUILD)/libgenomedb.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libgenomedb.a $(LDFLAGS) $(LIBS)

# Each script's markdown is kept in $(BENCH_OUT)/<name>.md, its wall
# seconds, exit status and CPU seconds (user + system of the script and
# the children it waited for, /usr/bin/time: what a loaded machine
# inflates far less than wall) in $(BENCH_OUT)/times.tsv; bench/goals.py then
# prints the goal table from those figures (a failed script's goals show
# as not measured, with the reason) and the times. bench-scale's table is
# used when present. BENCH_ARGS_<name> adds arguments to one script
# (e.g. BENCH_ARGS_regions="--nice 0" leaves the run's niceness alone).
# The generated inputs two scripts share (the STRING-like links file of
# bench/graph/run.py and khop2.py, the proteins of bench/codecs/run.py and
# bench/mount/protein_db.py) are made once, in $(BENCH_OUT)/inputs, and
# found there by the key of their generator and parameters (bench/inputs.py).
# make bench QUICK=1: smaller inputs everywhere (the scripts' --quick, a
# 16 Mbp region run, 5,000 nodes and 2M STRING lines instead of 20,000 and
# 10M, 1 rep) for a run that must end sooner; bench/run.py --quick times
# the import on the largest real genome (chr20) instead of a 500 MB FASTA.
Q = $(if $(QUICK),$(1))
BENCH_RUN = @echo "== $(1) ($$(date -u +%T))"; t=$$(date +%s); \
	{ $(BENCH_ENV) GENOMEDB_BENCH_INPUTS=$(abspath $(BENCH_OUT))/inputs /usr/bin/time -o $(BENCH_OUT)/$(1).cpu -f "%U %S" $(PYTHON) $(2) $(BENCH_ARGS_$(1)); \
	  echo $$? > $(BENCH_OUT)/$(1).rc; } | tee $(BENCH_OUT)/$(1).md; \
	echo "$(1) $$(($$(date +%s) - t)) $$(cat $(BENCH_OUT)/$(1).rc) \
	  $$(awk 'END { printf "%.1f", $$1 + $$2 }' $(BENCH_OUT)/$(1).cpu)" >> $(BENCH_OUT)/times.tsv; \
	rm -f $(BENCH_OUT)/$(1).rc $(BENCH_OUT)/$(1).cpu
bench: deps
	$(MAKE) all $(BENCH_FLOOR) $(BENCH_FLOOR_URING) $(BENCH_FIRSTTOUCH)
	@mkdir -p $(BENCH_OUT)
	@rm -f $(BENCH_OUT)/times.tsv $(filter-out $(BENCH_OUT)/scale.md,$(wildcard $(BENCH_OUT)/*.md))
	$(call BENCH_RUN,run,bench/run.py $(call Q,--quick))
	$(call BENCH_RUN,policies,bench/cache/policies.py $(call Q,--quick))
	$(call BENCH_RUN,prefetch,bench/cache/mountbench.py prefetch $(call Q,--bases 120e6 --reps 1))
	$(call BENCH_RUN,regions,bench/mount/regions.py $(call Q,--reads 1000 --bases 16e6))
	$(call BENCH_RUN,simd,bench/simd/run.py --build $(abspath $(BUILD)) $(call Q,--quick))
	$(call BENCH_RUN,graph,bench/graph/run.py $(call Q,--string-lines 2000000 --nodes 5000))
	$(call BENCH_RUN,khop2,bench/graph/khop2.py $(call Q,--string-lines 2000000 --rounds 1))
	$(call BENCH_RUN,compute,bench/compute/run.py $(call Q,--quick))
	$(call BENCH_RUN,variants,bench/variants/run.py $(call Q,--reps 1))
	$(call BENCH_RUN,annotations,bench/annotations/run.py)
	$(call BENCH_RUN,python,bench/python/run.py $(call Q,--reps 1))
	$(call BENCH_RUN,reads,bench/reads/run.py $(call Q,--quick))
	$(call BENCH_RUN,codecs,bench/codecs/run.py --build $(abspath $(BUILD)) $(if $(QUICK),--quick,--proteins 500000))
	$(call BENCH_RUN,protein_db,bench/mount/protein_db.py --build $(abspath $(BUILD)) $(call Q,--records 50000 --reads 50))
	$(BENCH_PY) bench/goals.py $(BENCH_OUT)

# make bench-scale SIZE=1e11: a generated genome of SIZE bases piped into
# the import (never on disk as text), then the daemon in a 1 GiB memory
# cgroup with --cache 768M (bench/scale/run.py; needs root for the cgroup).
bench-scale: deps
	$(MAKE) all
	@mkdir -p $(BENCH_OUT)
	$(BENCH_PY) bench/scale/run.py --size $(SIZE) | tee $(BENCH_OUT)/scale.md

# make fuzz FUZZ_SECONDS=N: every target (or FUZZ_TARGETS="a b") for N
# seconds from its seeds, FUZZ_JOBS targets at a time; new inputs go to
# build/fuzz/corpus/<target>/, crashes to build/fuzz/crash/<target>-*,
# each run's output to build/fuzz/log/<target>.log; the summary lists the
# executions per target and fails if any target found a crash.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_DIR = build/fuzz
FUZZ_NAMES = $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)

fuzz: deps
	$(MAKE) BUILD=$(FUZZ_DIR) CC=clang WERROR=0 OPT="-O1 -g" \
		SAN="-fsanitize=address,undefined,fuzzer-no-link" \
		$(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzzers/%)
	@rm -rf $(FUZZ_DIR)/log $(FUZZ_DIR)/crash; mkdir -p $(FUZZ_DIR)/log $(FUZZ_DIR)/crash
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I{} sh -c \
		'mkdir -p $(FUZZ_DIR)/corpus/{}; echo "== fuzz {} ($(FUZZ_SECONDS) s)"; \
		$(FUZZ_DIR)/fuzzers/{} -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_DIR)/crash/{}- $(FUZZ_DIR)/corpus/{} \
			tests/fuzz/corpus/{} > $(FUZZ_DIR)/log/{}.log 2>&1 \
		|| echo "!! {}: crash, see $(FUZZ_DIR)/log/{}.log"'
	@for t in $(FUZZ_TARGETS); do printf '%-20s %s\n' $$t \
		"$$(awk '/number_of_executed_units/ {print $$2}' $(FUZZ_DIR)/log/$$t.log) executions"; done
	@! ls $(FUZZ_DIR)/crash | grep -q -e -crash- -e -leak- -e -oom- -e -timeout-

# make stress STRESS_SECONDS=N: concurrent readers, two mounts and the
# Python package while a writer commits and gc runs (tests/stress.py), then
# the path fuzzer against a live mount (tests/pathfuzz.py); N seconds each.
# `make test` runs both for a few seconds (test_stress.py, test_pathfuzz.py).
STRESS_SECONDS ?= 600

stress: all
	$(BENCH_ENV) $(PYTHON) tests/stress.py --seconds $(STRESS_SECONDS)
	$(BENCH_ENV) $(PYTHON) tests/pathfuzz.py --seconds $(STRESS_SECONDS)

PLUGIN_SRC := examples/plugin/cpg.c tests/plugin/bad_plugin.c
HELPER_SRC := tests/helpers/sysfail.c

format:
	clang-format -i $(LIB_SRC) $(TOOL_SRC) $(UNIT_SRC) $(HEADERS) $(PLUGIN_SRC) $(HELPER_SRC)

format-check:
	clang-format --dry-run --Werror $(LIB_SRC) $(TOOL_SRC) $(UNIT_SRC) $(HEADERS) $(PLUGIN_SRC) $(HELPER_SRC)

clean:
	rm -rf build
