#include <val.h>
#include "appval.h"
int appval_get(void) { return val_get() * SCALE; }
const char *appval_libversion(void) { return VAL_VERSION; }
