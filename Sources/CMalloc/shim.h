// glibc's malloc tuning (mallopt(3)), which the Glibc module does not import: the daemon
// limits the number of malloc arenas so that large policy arrays freed by one update are
// reused by the next.
#ifndef SIPFENCE_CMALLOC_SHIM_H
#define SIPFENCE_CMALLOC_SHIM_H

#include <malloc.h>

#endif
