#ifndef VAL_H
#define VAL_H
#define VAL_VERSION "2.0.0"
int val_get(void);
#endif
