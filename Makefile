# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A thin wrapper around meson so that the two quick-start commands work on a
# fresh Debian 12 machine.  Everything real is in meson.build.
#
#   make demo        build and run the live-migration demo (hw/ machine)
#   make check       build and run every test suite
#   make check-asan  the same suite under AddressSanitizer + UBSan (+ LSan)
#   make bench       QIDL's codecs against peer serializers (release build)
#   make clean       remove the build directories

BUILD ?= build
ASAN_BUILD ?= build-asan
BENCH_BUILD ?= build-bench
# Arguments for qidl-bench, e.g. BENCHFLAGS=--json or --workload machine.
BENCHFLAGS ?=
MESON_FLAGS ?=
# CI builds with warnings as errors.
ifneq ($(CI),)
MESON_FLAGS += -Dwerror=true
endif

.PHONY: all deps demo check check-asan bench clean

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

check-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		meson test -C $(ASAN_BUILD) --print-errorlogs $(TESTFLAGS)

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
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD)

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
