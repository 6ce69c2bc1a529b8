#include <cblas.h>

/* Declared by OpenBLAS in openblas_config.h on most builds; repeated so the module
   does not depend on which header variant the distribution ships. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
