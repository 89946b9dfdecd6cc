// The parts of c-ares (Debian: libc-ares-dev, 1.18.1 on Debian 12) that SIPLocation uses
// to find SIP servers (RFC 3263): SRV, A and AAAA queries on a channel that SIPLocation
// drives from a thread of its own (this c-ares has no event thread).
#ifndef SIPFENCE_CCARES_SHIM_H
#define SIPFENCE_CCARES_SHIM_H

#include <ares.h>
#include <poll.h>

// `ARES_GETSOCK_READABLE` and `ARES_GETSOCK_WRITABLE` are function-like macros, which Swift
// does not import: the same tests as functions.
static inline int sipfence_ares_socket_readable(int bits, int index) {
    return ARES_GETSOCK_READABLE(bits, index) != 0;
}

static inline int sipfence_ares_socket_writable(int bits, int index) {
    return ARES_GETSOCK_WRITABLE(bits, index) != 0;
}

#endif
