/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hand-made native streams (docs/stream-format.md) for hostile-input
 * tests: the writer in libqidl refuses to produce what these tests need
 * (nesting past the limit, lengths that lie, counts that wrap), so they
 * assemble the bytes here, with valid checksums so that the reader gets
 * past them to the part under test.  The CRC-32C is computed bit by bit,
 * independently of the library's (tests/common/stream-seal.c).
 */
#ifndef QIDL_TESTS_CRAFT_H
#define QIDL_TESTS_CRAFT_H

#include <glib.h>

/* Little-endian appends. */
void craft_u8(GByteArray *b, guint8 v);
void craft_u16(GByteArray *b, guint16 v);
void craft_u32(GByteArray *b, guint32 v);
void craft_u64(GByteArray *b, guint64 v);
/* u16 length and bytes; u8 length and bytes. */
void craft_str16(GByteArray *b, const char *s);
void craft_name8(GByteArray *b, const char *s);

/* A plain stream's header: producer "t", version "1", @flags. */
GByteArray *craft_header(guint32 flags);

/* Appends a record: kind, body length, body, CRC-32C. */
void craft_record(GByteArray *s, guint8 kind, const guint8 *body,
                  gsize len);

/* Appends the END record, counting the records since the header. */
void craft_end(GByteArray *s);

/*
 * A whole plain stream holding one DEVICE record of type "t", path "/t",
 * @version, defining @names (NULL-terminated) and with @state as its
 * state (a named value: u16 name index, tag, body), then END.
 */
GByteArray *craft_device_stream(guint32 version, const char *const *names,
                                const guint8 *state, gsize state_len);

/*
 * State that nests @depth structs: "d" { "s" { "s" { ... } } }, the
 * innermost one empty.  Names: #0 "d", #1 "s".
 */
GByteArray *craft_nested_state(guint depth);

#endif /* QIDL_TESTS_CRAFT_H */
