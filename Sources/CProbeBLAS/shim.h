#include <cblas.h>
#include <lapacke.h>

// OpenBLAS (pthreads build): stops the worker threads; any later openblas_set_num_threads call
// (or threaded call) starts them again. Not in cblas.h.
int blas_thread_shutdown_(void);
