/* The translation unit compile_commands.json describes; never compiled. */
#include "dev.h"
