// The C floor of SIP parsing: libosip2 parses and frees a whole message, with no Swift
// around it. Used only as the benchmarks' baseline.
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_message.h>

static inline void baseline_osip_init(void) {
    for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++) {
        osip_trace_disable_level((osip_trace_level_t)level);
    }
    parser_init();
}

/// Parses `length` bytes with osip_message_parse and frees the result; returns its status.
static inline int baseline_osip_parse(const char *buffer, size_t length) {
    osip_message_t *message = NULL;
    if (osip_message_init(&message) != 0) return -1;
    int status = osip_message_parse(message, buffer, length);
    osip_message_free(message);
    return status;
}
