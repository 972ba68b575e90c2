#ifndef APPVAL_H
#define APPVAL_H
int appval_get(void);
const char *appval_libversion(void);
#endif
