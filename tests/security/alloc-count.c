/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The counting allocator of alloc-count.h: malloc and friends defined in
 * the test program, forwarding to glibc's __libc_* entry points, which
 * every glibc exports for exactly this purpose (malloc interposition).
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>

#include "alloc-count.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_COUNT_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define ALLOC_COUNT_DISABLED 1
#endif
#endif

#ifdef ALLOC_COUNT_DISABLED

gboolean alloc_count_available(void)
{
    return FALSE;
}

void alloc_count_start(void)
{
}

AllocCount alloc_count_stop(void)
{
    return (AllocCount){ 0 };
}

#else

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static __thread gboolean counting;
static __thread gssize live;
static __thread AllocCount count;

static void note_alloc(void *p, size_t request)
{
    if (!counting || !p) {
        return;
    }
    count.calls++;
    count.total += request;
    if (request > count.largest) {
        count.largest = request;
    }
    live += malloc_usable_size(p);
    if (live > 0 && (gsize)live > count.peak) {
        count.peak = live;
    }
}

static void note_free(void *p)
{
    if (counting && p) {
        live -= malloc_usable_size(p);
    }
}

void *malloc(size_t size)
{
    void *p = __libc_malloc(size);

    note_alloc(p, size);
    return p;
}

void *calloc(size_t n, size_t size)
{
    void *p = __libc_calloc(n, size);

    /* calloc checked n * size for overflow before succeeding. */
    note_alloc(p, n * size);
    return p;
}

void *realloc(void *old, size_t size)
{
    gsize old_size = (counting && old) ? malloc_usable_size(old) : 0;
    void *p = __libc_realloc(old, size);

    if (p || size == 0) {
        live -= old_size;
    }
    note_alloc(p, size);
    return p;
}

void free(void *p)
{
    note_free(p);
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    void *p = __libc_memalign(align, size);

    note_alloc(p, size);
    return p;
}

void *aligned_alloc(size_t align, size_t size)
{
    return memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;

    if (align < sizeof(void *) || (align & (align - 1)) != 0) {
        return EINVAL;
    }
    p = memalign(align, size);
    if (!p) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

gboolean alloc_count_available(void)
{
    return TRUE;
}

void alloc_count_start(void)
{
    count = (AllocCount){ 0 };
    live = 0;
    counting = TRUE;
}

AllocCount alloc_count_stop(void)
{
    counting = FALSE;
    return count;
}

#endif
