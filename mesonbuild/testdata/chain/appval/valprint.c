#include <stdio.h>
#include <val.h>
#include "appval.h"
int main(void) {
	printf("libval=%d version=%s\n", val_get(), appval_libversion());
	return 0;
}
