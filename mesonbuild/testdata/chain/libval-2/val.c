#include "val.h"
int val_get(void) { return 42; }
