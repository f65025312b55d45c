/* Tests: every integer type and typedef of one (canonicalised), bool,
 * float and double, enums with their wire width, and default(v). */
#ifndef SCALARS_H
#define SCALARS_H

#include <stdbool.h>
#include <stdint.h>

#include <qidl/qidl.h>

typedef uint16_t Word;
typedef Word RegWord;           /* a typedef of a typedef */

typedef enum {
    MODE_OFF,
    MODE_ON,
    MODE_AUTO = 7,
} Mode;

enum Level {
    LEVEL_LOW = -1,
    LEVEL_HIGH = 1,
};

typedef struct QIDL_STRUCT(2, 1) Scalars {
    bool flag;
    char c;
    signed char sc;
    unsigned char uc;
    short s;
    unsigned short us;
    int i;
    unsigned int ui;
    long l;
    unsigned long ul;
    long long ll;
    unsigned long long ull;
    int8_t i8;
    uint8_t u8;
    int16_t i16;
    uint16_t u16;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    RegWord word;
    float f;
    double d;
    Mode mode;
    enum Level level;
    uint8_t thr QIDL(default, 0);
    int32_t bias QIDL(default, -5) QIDL(version, 2);
} Scalars;

#endif
