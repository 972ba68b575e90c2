#include <stdio.h>
#include <appval.h>
int main(void) {
	printf("apptool: appval=%d (libval %s)\n", appval_get(), appval_libversion());
	return 0;
}
