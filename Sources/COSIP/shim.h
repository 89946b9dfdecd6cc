// The parts of libosip2's parser (Debian: libosip2-dev) that SIPCore uses.
// Only the per-header parsers are needed: sipfence frames messages itself and hands
// libosip2 one header value at a time, never a message body.
#ifndef SIPFENCE_COSIP_SHIM_H
#define SIPFENCE_COSIP_SHIM_H

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/osip_uri.h>
#include <osipparser2/headers/osip_via.h>
#include <osipparser2/headers/osip_from.h>
#include <osipparser2/headers/osip_to.h>
#include <osipparser2/headers/osip_route.h>
#include <osipparser2/headers/osip_record_route.h>
#include <osipparser2/headers/osip_contact.h>
#include <osipparser2/headers/osip_cseq.h>

// libosip2 writes its own diagnostics to stdout unless told not to. sipfence reports
// parse failures itself, so every trace level is switched off once, at initialisation.
static inline void sipfence_osip_disable_traces(void) {
    for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++) {
        osip_trace_disable_level((osip_trace_level_t)level);
    }
}

// libosip2 allocates through a replaceable function pointer; `osip_free` is a macro.
static inline void sipfence_osip_free(void *pointer) {
    osip_free(pointer);
}

#endif
