/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device types the state harnesses load: the hand-written sample and
 * counter of tests/common, the CVE devices of tests/security/fixtures/
 * cve.h and the extractor's good fixtures (scalars, shapes, constraints,
 * containers, uart), all behind one signature.  Their loaders are the
 * generated qidl_load_<T>() (atomic); the sample's is a scratch copy
 * around its visit, as a receiver writes one by hand.
 */
#ifndef QIDL_TESTS_FUZZ_FIXTURES_H
#define QIDL_TESTS_FUZZ_FIXTURES_H

#include <qidl/devices.h>

typedef struct {
    const char *type;       /* device type in streams */
    const char *name;       /* top-level name */
    guint32 version;
    guint32 min_version;
    gsize size;
    QidlVisitFunc visit;
    /* Atomic load: on failure *obj is unchanged. */
    gboolean (*load)(QidlVisitor *v, const char *name, void *obj,
                     GError **error);
    QidlReleaseFunc release;
    /* Fills a valid object (seed 0: zeroes where zero is valid). */
    void (*init)(void *obj, guint seed);
} FuzzFixture;

extern const FuzzFixture fuzz_fixtures[];
extern const guint fuzz_n_fixtures;

/* The fixture of a device type, or NULL. */
const FuzzFixture *fuzz_fixture_find(const char *type);

/* A new object of @fx, initialised; free with fuzz_fixture_free(). */
void *fuzz_fixture_new(const FuzzFixture *fx, guint seed);
void fuzz_fixture_free(const FuzzFixture *fx, void *obj);

/* @obj's legacy encoding (what it owns included), to compare. */
GByteArray *fuzz_fixture_snapshot(const FuzzFixture *fx, void *obj);

/*
 * Loads through @v into @obj with the fixture's atomic loader, then
 * completes @v; aborts if a failed load changed @obj.  Returns whether
 * both succeeded.
 */
gboolean fuzz_fixture_load_checked(const FuzzFixture *fx, QidlVisitor *v,
                                   void *obj);

#endif /* QIDL_TESTS_FUZZ_FIXTURES_H */
