# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A thin wrapper around meson so that the two quick-start commands work on a
# fresh Debian 12 machine.  Everything real is in meson.build.
#
#   make demo        build and run the live-migration demo (hw/ machine)
#   make check       build and run every test suite
#   make check-asan  the same suite under AddressSanitizer + UBSan (+ LSan)
#   make check-clang the same again built with clang, whose UBSan checks more
#   make check-tsan  the threads suite under ThreadSanitizer
#   make bench       QIDL's codecs against peer serializers (release build)
#   make clean       remove the build directories

BUILD ?= build
ASAN_BUILD ?= build-asan
CLANG_BUILD ?= build-clang
TSAN_BUILD ?= build-tsan
BENCH_BUILD ?= build-bench
# Arguments for qidl-bench, e.g. BENCHFLAGS=--json or --workload machine.
BENCHFLAGS ?=
MESON_FLAGS ?=
# CI builds with warnings as errors.
ifneq ($(CI),)
MESON_FLAGS += -Dwerror=true
endif

.PHONY: all deps demo check check-asan check-clang check-tsan bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps check

$(BUILD)/build.ninja:
	@scripts/install-deps check
	meson setup $(BUILD) $(MESON_FLAGS)

$(ASAN_BUILD)/build.ninja:
	@scripts/install-deps asan
	meson setup $(ASAN_BUILD) $(MESON_FLAGS) -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug

# The hw/ machine live-migrated between its two builds (tools/qidl-machine.c);
# tools/qidl-demo, the visitor round trip, still builds as a sample.
demo: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(BUILD)/tools/qidl-machine demo

check: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs $(TESTFLAGS)

SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp

check-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	$(SANITIZER_ENV) meson test -C $(ASAN_BUILD) --print-errorlogs $(TESTFLAGS)

# The same with clang (and its sanitizer runtimes, which Debian's clang
# only recommends): its UBSan reports what gcc's does not, such as
# arithmetic on a NULL pointer, and its warnings differ.
$(CLANG_BUILD)/build.ninja:
	@scripts/install-deps clang
	CC=clang meson setup $(CLANG_BUILD) $(MESON_FLAGS) \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

check-clang: $(CLANG_BUILD)/build.ninja
	ninja -C $(CLANG_BUILD)
	$(SANITIZER_ENV) meson test -C $(CLANG_BUILD) --print-errorlogs $(TESTFLAGS)

# The 'threads' suite (tests/security/test-threads.c: threads saving and
# loading their own machines at once through one shared filter set) under
# ThreadSanitizer, in a build of its own; only what that test needs is
# built.  The same test runs without TSan in `make check`.  GLib is not
# built with TSan, so its slice allocator's hand-over of memory between
# threads looks like a race: G_SLICE=always-malloc turns it off.
$(TSAN_BUILD)/build.ninja:
	@scripts/install-deps check
	meson setup $(TSAN_BUILD) $(MESON_FLAGS) -Db_sanitize=thread \
		-Db_lundef=false -Dbuildtype=debug

check-tsan: $(TSAN_BUILD)/build.ninja
	ninja -C $(TSAN_BUILD) tests/security/test-threads
	G_SLICE=always-malloc \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/security/tsan.supp \
		meson test -C $(TSAN_BUILD) --no-rebuild --suite threads \
		--print-errorlogs $(TESTFLAGS)

# qidl-bench in an optimized build of its own, with the peer serializers
# installed (scripts/install-deps bench); docs/performance.md explains the
# table.  `meson test` runs it in its short mode (--quick) without timing.
$(BENCH_BUILD)/build.ninja:
	@scripts/install-deps bench
	meson setup $(BENCH_BUILD) $(MESON_FLAGS) -Dbuildtype=release

bench: $(BENCH_BUILD)/build.ninja
	@scripts/install-deps bench
	ninja -C $(BENCH_BUILD)
	$(BENCH_BUILD)/tests/bench/qidl-bench $(BENCHFLAGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(CLANG_BUILD) $(TSAN_BUILD) $(BENCH_BUILD)

# hw/schemas/ holds the device-state schemas of the previous release; the
# 'hw-schemas' test (suite compat) fails when a device's state changes in a
# way streams of that release cannot load.  After an intended change (or at
# a release), this copies the schemas of the current build there: commit
# them with the change.  docs/compat.md explains the check.
.PHONY: update-schemas
update-schemas: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@ls $(BUILD)/hw/*.qidl.json >/dev/null 2>&1 || \
		{ echo "update-schemas: no schemas in $(BUILD)/hw/" >&2; exit 1; }
	mkdir -p hw/schemas
	rm -f hw/schemas/*.qidl.json
	cp $(BUILD)/hw/*.qidl.json hw/schemas/
	@echo "hw/schemas/ now holds this build's schemas; commit them."
