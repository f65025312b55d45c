/* Found only through the -I of compile_commands.json. */
#include <stdint.h>

typedef uint16_t DevReg;
