/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QIDL annotations
 *
 * Device state is described where it is declared: the struct opts in with
 * QIDL_STRUCT(version, min_version) and each field that needs explaining
 * carries one or more QIDL(marker, args...) after its declarator.
 * qidl-extract reads these markers with libclang and generates the visit
 * function, the field table (vmstate.h) and the JSON schema; nothing else
 * has to be written by hand.
 *
 *     typedef struct QIDL_STRUCT(3, 1) SerialState {
 *         uint8_t thr QIDL(default, 0);        // omitted while 0
 *         uint8_t fifo_len;
 *         uint8_t fifo[16] QIDL(size_is, fifo_len);
 *         uint8_t irq_index QIDL(range, 0, 15);
 *         Timer *timer QIDL(derived);          // rebuilt by post_load
 *         uint32_t iobase QIDL(property, "iobase", 0x3f8);
 *     } SerialState;
 *
 * Inclusive by default: every field is serialized unless a marker says why
 * not.  Anything the extractor cannot explain (a pointer with no marker, a
 * union, a bitfield, a function pointer) is a build error naming the field.
 * docs/annotations.md gives the rule of each marker with an example and
 * the review questions to ask before using it.
 *
 * Under clang a marker expands to __attribute__((annotate("qidl:..."))),
 * which changes nothing in the generated machine code; under any other
 * compiler it expands to nothing, so annotated device code still builds
 * with gcc.  The arguments are macro-expanded before they are recorded, so
 * QIDL(size_is, FIFO_CAP) records the constant's value.
 *
 * The closed set of markers (see docs/annotations.md):
 *
 *   immutable            not saved: set only at construction
 *   derived              not saved: recomputed by the post-load hook
 *   broken               not saved yet, listed in the schema
 *   elsewhere            not saved: serialized through another object
 *   optional             saved when has_<field> is true
 *   size_is, EXPR        EXPR elements of the array (field or constant)
 *   string               char[N] or char * visited as a string
 *   default, V           omitted when equal to V, preset to V on load
 *   version, N           present from struct version N
 *   type_is, T           element type of a pointer, GSList or GArray
 *   property, "NAME"[, V]  configuration, not state (implies immutable)
 *   range, LO, HI        loaded value must lie in [LO, HI]
 *   index_of, ARRAY      loaded value must be a valid index of ARRAY
 *   check, EXPR          invariant over the loaded struct (fields by name)
 *   subsection, "NAME", VERSION, NEEDED
 *                        in subsection NAME, saved when NEEDED(s) is true
 *
 * and, after QIDL_STRUCT, the struct-level hooks:
 *
 *   pre_save, FN         gboolean FN(T *s, GError **error) before saving
 *   post_load, FN        the same after loading, on the scratch copy
 *
 * This header has no dependencies, so device headers can include it
 * without pulling in glib.
 */
#ifndef QIDL_QIDL_H
#define QIDL_QIDL_H

/* Stringizes its arguments after macro expansion. */
#define QIDL__STR(...) #__VA_ARGS__
#define QIDL__XSTR(...) QIDL__STR(__VA_ARGS__)

#if defined(__clang__)
#define QIDL__ANNOTATE(text) __attribute__((annotate(text)))
#else
#define QIDL__ANNOTATE(text)
#endif

/**
 * QIDL:
 * @...: a marker name and its arguments, e.g. `size_is, fifo_len`
 *
 * Annotates the field it follows.  A field may carry several markers:
 * `uint8_t idx QIDL(index_of, regs) QIDL(version, 2);`.
 */
#define QIDL(...) QIDL__ANNOTATE("qidl:" QIDL__XSTR(__VA_ARGS__))

/**
 * QIDL_STRUCT:
 * @version: the current state version of the struct (at least 1)
 * @min_version: the oldest version a load still accepts (1..@version)
 *
 * Opts a struct in.  Place it after the `struct` keyword:
 * `typedef struct QIDL_STRUCT(2, 1) Foo { ... } Foo;`.  Fields added in a
 * later version carry QIDL(version, N).  Hooks follow it:
 * `typedef struct QIDL_STRUCT(3, 1) QIDL(post_load, foo_post_load) Foo`.
 */
#define QIDL_STRUCT(version, min_version) \
    QIDL__ANNOTATE("qidl:struct, " QIDL__XSTR(version, min_version))

#endif /* QIDL_QIDL_H */
