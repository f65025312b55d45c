/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A QEMU migration stream made by hand, sparse on disk: for tests of
 * streams larger than memory (docs/qemu-stream.md).
 */
#ifndef QIDL_TEST_QEMU_SYNTH_H
#define QIDL_TEST_QEMU_SYNTH_H

#include <glib.h>

/*
 * Writes to @path a stream of @n_pages pages of @page_size bytes (a power
 * of two from 512 to 1 GiB, which its vmdesc sets): the header; a RAM START
 * section with one block "pc.ram" of all the pages; a RAM PART section
 * with the pages, each a PAGE record of zeros; a RAM END section; a FULL
 * section "dev" (instance 0, version 1) whose one field "a" (uint8) is
 * 42; EOF; the vmdesc.  The pages are holes in the file, so it takes a
 * few KiB of disk whatever its length.  Returns the stream's length and,
 * in @state_at, the offset of the byte of "a"; aborts on I/O errors.
 */
gsize qemu_synth_write(const char *path, guint64 page_size, guint n_pages,
                       gsize *state_at);

#endif /* QIDL_TEST_QEMU_SYNTH_H */
