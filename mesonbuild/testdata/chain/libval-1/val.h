#ifndef VAL_H
#define VAL_H
#define VAL_VERSION "1.0.0"
int val_get(void);
#endif
