/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Constants of the legacy (QEMU VMState) wire encoding, shared by its
 * output and input visitors.  Private to libqidl. */
#ifndef QIDL_LEGACY_PRIVATE_H
#define QIDL_LEGACY_PRIVATE_H

/* A heap string's length travels in one byte (qemu_put_counted_string). */
#define LEGACY_STRING_MAX 255u

/* QEMU_VM_SUBSECTION: the byte that opens a subsection header. */
#define LEGACY_SUBSECTION_MARKER 0x05

#endif /* QIDL_LEGACY_PRIVATE_H */
