/*
 * sipfence-floor: the "C floor" of the sipfence-versus-Kamailio benchmark.
 *
 * It does the minimum work sipfence does per *refused* SIP call over UDP, and
 * nothing else, so that sipfence's CPU per call can be reported as a ratio to it:
 *   - batched receive (recvmmsg, 64 datagrams, MSG_WAITFORONE);
 *   - libosip2 on the same header values sipfence hands it (Request-URI, every
 *     Via, From, To, CSeq, Contact; Call-ID taken as bytes), each init'd and freed;
 *   - one prefix compare on the source address, standing for the policy lookup;
 *   - a 403 built per RFC 3261 §8.2.6 (Via/From/To/Call-ID/CSeq copied, received/
 *     rport per RFC 3581 on the top Via, a To tag derived from the Call-ID);
 *   - batched send (sendmmsg). ACKs for its own 403s are absorbed silently.
 * Absorbed ACKs count as "dropped" in the exit summary.
 *
 * Build: gcc -O2 -Wall -Wextra -o sipfence-floor sipfence-floor.c -losipparser2 -losip2
 *        (Debian/Ubuntu: apt-get install libosip2-dev)
 * Run:   ./sipfence-floor 127.0.0.1 5099 [allowed-prefix, default 192.0.2.0/24]
 *        prints "listening udp IP:PORT" once bound; SIGTERM/SIGINT stops it and
 *        prints "floor: N datagrams, M answered, K dropped, E malformed" on stderr.
 * Or:    ./sipfence-floor --pcap FILE [allowed-prefix]
 *        the same work on each IPv4 UDP packet of a classic pcap (Ethernet or raw IP
 *        link), answers built but not sent: the floor of `sipfence replay` on the
 *        same capture (Benchmarks/replay/run.sh). Prints the counts and the CPU time
 *        per message (CLOCK_PROCESS_CPUTIME_ID, reading the file included).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/osip_uri.h>
#include <osipparser2/headers/osip_via.h>
#include <osipparser2/headers/osip_from.h>
#include <osipparser2/headers/osip_to.h>
#include <osipparser2/headers/osip_cseq.h>

#define BATCH 64
#define RECV_SIZE 65535
#define OUT_SIZE 8192
#define MAX_VIAS 32
#define MAX_CONTACTS 16
#define TAG_PREFIX "sf"
#define TAG_LEN 18 /* "sf" + 16 hex digits */

typedef struct {
    const char *p;
    size_t n;
} slice;

static volatile sig_atomic_t stop_requested;
static unsigned long long n_datagrams, n_answered, n_dropped, n_malformed, n_send_errors;

static char recv_bufs[BATCH][RECV_SIZE];
static char out_bufs[BATCH][OUT_SIZE];
static char scratch[RECV_SIZE + 1];

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* ---------- small helpers ---------- */

static int slice_ieq(slice s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static int is_ws(char c) { return c == ' ' || c == '\t'; }

static slice trim(slice s) {
    while (s.n && is_ws(s.p[0])) { s.p++; s.n--; }
    while (s.n && is_ws(s.p[s.n - 1])) s.n--;
    return s;
}

/* NUL-terminated copy for libosip2; CR/LF become spaces, NUL becomes '0' (as sipfence). */
static const char *cstr(slice s) {
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        scratch[i] = (c == '\r' || c == '\n') ? ' ' : (c == '\0' ? '0' : c);
    }
    scratch[s.n] = '\0';
    return scratch;
}

static uint64_t fnv1a64(slice s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < s.n; i++) {
        h ^= (unsigned char)s.p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void make_tag(slice call_id, char out[TAG_LEN]) {
    static const char hex[] = "0123456789abcdef";
    uint64_t h = fnv1a64(call_id);
    out[0] = 's';
    out[1] = 'f';
    for (int i = 0; i < 16; i++) out[2 + i] = hex[(h >> (60 - 4 * i)) & 0xf];
}

/* Bounded output buffer. */
typedef struct {
    char *p;
    size_t n;
    int overflow;
} outbuf;

static void put(outbuf *o, const char *s, size_t n) {
    if (o->overflow || n > OUT_SIZE - o->n) { o->overflow = 1; return; }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}
#define PUTLIT(o, lit) put((o), (lit), sizeof(lit) - 1)
static void put_slice(outbuf *o, slice s) { put(o, s.p, s.n); }

static void put_uint(outbuf *o, unsigned v) {
    char tmp[10];
    int i = sizeof tmp;
    do { tmp[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    put(o, tmp + i, sizeof tmp - (size_t)i);
}

static void put_ipv4(outbuf *o, uint32_t host_order) {
    for (int i = 3; i >= 0; i--) {
        put_uint(o, (host_order >> (8 * i)) & 0xff);
        if (i) PUTLIT(o, ".");
    }
}

/* ---------- osip parsing of one header value each ---------- */

static int parse_uri_host(slice v, char *domain, size_t cap) {
    osip_uri_t *u = NULL;
    if (osip_uri_init(&u) != 0) return -1;
    int ok = osip_uri_parse(u, cstr(v)) == 0 && u->scheme != NULL && u->host != NULL && u->host[0];
    if (ok) {
        size_t n = strlen(u->host);
        if (n >= cap) n = cap - 1;
        memcpy(domain, u->host, n);
        domain[n] = '\0';
    }
    osip_uri_free(u);
    return ok ? 0 : -1;
}

static int parse_via(slice v) {
    osip_via_t *via = NULL;
    if (osip_via_init(&via) != 0) return -1;
    int ok = osip_via_parse(via, cstr(v)) == 0 && via->host != NULL && via->host[0];
    osip_via_free(via);
    return ok ? 0 : -1;
}

/* From/To/Contact: osip_from_parse. If tag != NULL, copies the tag (if any) into it
 * (at most TAG_LEN + 1 bytes significant) and sets *tag_len (-1 when absent). */
static int parse_name_addr(slice v, char *tag, int *tag_len) {
    osip_from_t *f = NULL;
    if (osip_from_init(&f) != 0) return -1;
    int ok = osip_from_parse(f, cstr(v)) == 0 && f->url != NULL;
    if (ok && tag) {
        osip_generic_param_t *t = NULL;
        *tag_len = -1;
        if (osip_from_get_tag(f, &t) == 0 && t != NULL && t->gvalue != NULL) {
            size_t n = strlen(t->gvalue);
            if (n > TAG_LEN + 1) n = TAG_LEN + 1; /* longer than ours: never equal */
            memcpy(tag, t->gvalue, n);
            *tag_len = (int)n;
        } else if (t != NULL) {
            *tag_len = 0; /* ";tag" without value: present */
        }
    }
    osip_from_free(f);
    return ok ? 0 : -1;
}

static int parse_cseq(slice v) {
    osip_cseq_t *c = NULL;
    if (osip_cseq_init(&c) != 0) return -1;
    int ok = osip_cseq_parse(c, cstr(v)) == 0 && c->number != NULL && c->method != NULL;
    osip_cseq_free(c);
    return ok ? 0 : -1;
}

/* ---------- per-datagram work ---------- */

enum verdict { V_DROP, V_ABSORBED, V_ANSWER, V_MALFORMED };

typedef struct {
    slice method, ruri;
    slice vias[MAX_VIAS];
    int n_vias;
    slice from, to, call_id, cseq;
    slice contacts[MAX_CONTACTS];
    int n_contacts;
} sipmsg;

/* Next CRLF-terminated line starting at *pos; returns 0 when no CRLF remains. */
static int next_line(const char *buf, size_t len, size_t *pos, slice *line) {
    size_t i = *pos;
    const char *p = buf + i;
    const char *e = memchr(p, '\r', len - i);
    while (e && (size_t)(e - buf) + 1 < len && e[1] != '\n')
        e = memchr(e + 1, '\r', len - (size_t)(e + 1 - buf));
    if (!e || (size_t)(e - buf) + 1 >= len) return 0;
    line->p = p;
    line->n = (size_t)(e - p);
    *pos = (size_t)(e - buf) + 2;
    return 1;
}

static int set_once(slice *dst, slice v) {
    if (dst->p) return -1;
    *dst = v;
    return 0;
}

static int split_message(const char *buf, size_t len, sipmsg *m) {
    size_t pos = 0;
    slice line;
    memset(m, 0, sizeof *m);
    if (!next_line(buf, len, &pos, &line)) return -1;

    /* Request line: METHOD SP Request-URI SP SIP/2.0 */
    const char *sp1 = memchr(line.p, ' ', line.n);
    if (!sp1 || sp1 == line.p) return -1;
    m->method = (slice){line.p, (size_t)(sp1 - line.p)};
    const char *rest = sp1 + 1;
    size_t rest_n = line.n - m->method.n - 1;
    const char *sp2 = memchr(rest, ' ', rest_n);
    if (!sp2 || sp2 == rest) return -1;
    m->ruri = (slice){rest, (size_t)(sp2 - rest)};
    slice version = {sp2 + 1, rest_n - m->ruri.n - 1};
    if (version.n != 7 || memcmp(version.p, "SIP/2.0", 7) != 0) return -1;

    for (;;) {
        if (!next_line(buf, len, &pos, &line)) return -1; /* no empty line */
        if (line.n == 0) break;
        const char *colon = memchr(line.p, ':', line.n);
        if (!colon) return -1;
        slice name = trim((slice){line.p, (size_t)(colon - line.p)});
        slice value = trim((slice){colon + 1, line.n - (size_t)(colon - line.p) - 1});
        if (name.n == 0) return -1;
        if (slice_ieq(name, "via") || slice_ieq(name, "v")) {
            if (m->n_vias == MAX_VIAS) return -1;
            m->vias[m->n_vias++] = value;
        } else if (slice_ieq(name, "from") || slice_ieq(name, "f")) {
            if (set_once(&m->from, value)) return -1;
        } else if (slice_ieq(name, "to") || slice_ieq(name, "t")) {
            if (set_once(&m->to, value)) return -1;
        } else if (slice_ieq(name, "call-id") || slice_ieq(name, "i")) {
            if (set_once(&m->call_id, value)) return -1;
        } else if (slice_ieq(name, "cseq")) {
            if (set_once(&m->cseq, value)) return -1;
        } else if (slice_ieq(name, "contact") || slice_ieq(name, "m")) {
            if (m->n_contacts == MAX_CONTACTS) return -1;
            m->contacts[m->n_contacts++] = value;
        }
    }
    if (m->n_vias == 0 || !m->from.p || !m->to.p || !m->call_id.p || m->call_id.n == 0 || !m->cseq.p)
        return -1;
    return 0;
}

/* Top Via with RFC 3581 treatment: the first value of the first Via line gets a bare
 * `rport` filled in and `;received=IP` appended; anything after a top-level comma
 * (further Via values on the same line) is copied unchanged. */
static void put_top_via(outbuf *o, slice v, uint32_t ip, unsigned port) {
    size_t end = v.n; /* end of the first value */
    int quoted = 0;
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        if (c == '"') quoted = !quoted;
        else if (c == ',' && !quoted) { end = i; break; }
    }
    size_t value_end = end;
    while (value_end && is_ws(v.p[value_end - 1])) value_end--;

    /* Find a bare rport parameter in [0, value_end). */
    size_t copied = 0;
    quoted = 0;
    for (size_t i = 0; i < value_end; i++) {
        char c = v.p[i];
        if (c == '"') { quoted = !quoted; continue; }
        if (c != ';' || quoted) continue;
        size_t s = i + 1, e = s;
        while (e < value_end && v.p[e] != ';' && v.p[e] != '"') e++;
        slice param = trim((slice){v.p + s, e - s});
        if (slice_ieq(param, "rport")) {
            put(o, v.p + copied, (size_t)(param.p - v.p) - copied);
            PUTLIT(o, "rport=");
            put_uint(o, port);
            copied = (size_t)(param.p - v.p) + param.n;
            break;
        }
    }
    put(o, v.p + copied, value_end - copied);
    PUTLIT(o, ";received=");
    put_ipv4(o, ip);
    put(o, v.p + value_end, v.n - value_end);
}

static size_t build_403(char *dst, const sipmsg *m, uint32_t ip, unsigned port, int to_has_tag) {
    outbuf o = {dst, 0, 0};
    PUTLIT(&o, "SIP/2.0 403 Forbidden\r\n");
    for (int i = 0; i < m->n_vias; i++) {
        PUTLIT(&o, "Via: ");
        if (i == 0) put_top_via(&o, m->vias[0], ip, port);
        else put_slice(&o, m->vias[i]);
        PUTLIT(&o, "\r\n");
    }
    PUTLIT(&o, "From: ");
    put_slice(&o, m->from);
    PUTLIT(&o, "\r\nTo: ");
    put_slice(&o, m->to);
    if (!to_has_tag) {
        char tag[TAG_LEN];
        make_tag(m->call_id, tag);
        PUTLIT(&o, ";tag=");
        put(&o, tag, TAG_LEN);
    }
    PUTLIT(&o, "\r\nCall-ID: ");
    put_slice(&o, m->call_id);
    PUTLIT(&o, "\r\nCSeq: ");
    put_slice(&o, m->cseq);
    PUTLIT(&o, "\r\nServer: sipfence-floor\r\nContent-Length: 0\r\n\r\n");
    return o.overflow ? 0 : o.n;
}

static uint32_t allowed_net, allowed_mask;

static enum verdict handle(const char *buf, size_t len, const struct sockaddr_in *src,
                           char *out, size_t *out_len) {
    sipmsg m;
    char domain[256];
    char to_tag[TAG_LEN + 1], from_tag[TAG_LEN + 1];
    int to_tag_len = -1, from_tag_len = -1;

    if (len >= 4 && memcmp(buf, "SIP/", 4) == 0) return V_DROP; /* a response */
    if (split_message(buf, len, &m) != 0) return V_MALFORMED;

    if (parse_uri_host(m.ruri, domain, sizeof domain) != 0) return V_MALFORMED;
    for (int i = 0; i < m.n_vias; i++)
        if (parse_via(m.vias[i]) != 0) return V_MALFORMED;
    if (parse_name_addr(m.from, from_tag, &from_tag_len) != 0) return V_MALFORMED;
    if (parse_name_addr(m.to, to_tag, &to_tag_len) != 0) return V_MALFORMED;
    if (parse_cseq(m.cseq) != 0) return V_MALFORMED;
    for (int i = 0; i < m.n_contacts; i++) {
        if (m.contacts[i].n == 1 && m.contacts[i].p[0] == '*') continue;
        if (parse_name_addr(m.contacts[i], NULL, NULL) != 0) return V_MALFORMED;
    }

    if (m.method.n == 6 && memcmp(m.method.p, "INVITE", 6) == 0) {
        uint32_t ip = ntohl(src->sin_addr.s_addr);
        if ((ip & allowed_mask) == allowed_net) return V_DROP; /* allowed: not ours */
        size_t n = build_403(out, &m, ip, ntohs(src->sin_port), to_tag_len >= 0);
        if (n == 0) return V_MALFORMED; /* 403 would exceed OUT_SIZE */
        *out_len = n;
        return V_ANSWER;
    }
    if (m.method.n == 3 && memcmp(m.method.p, "ACK", 3) == 0 && to_tag_len == TAG_LEN &&
        memcmp(to_tag, TAG_PREFIX, 2) == 0) {
        char ours[TAG_LEN];
        make_tag(m.call_id, ours);
        if (memcmp(to_tag, ours, TAG_LEN) == 0) return V_ABSORBED; /* ACK for our 403 */
    }
    return V_DROP; /* INVITE from inside, other methods, foreign ACKs */
}

static int parse_prefix(const char *s) {
    char tmp[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, tmp, &a) != 1) return -1;
    long bits = 32;
    if (slash) {
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || bits < 0 || bits > 32) return -1;
    }
    allowed_mask = bits == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - bits));
    allowed_net = ntohl(a.s_addr) & allowed_mask;
    return 0;
}

/* ---------- replay of a capture ---------- */

static uint32_t rd32(const unsigned char *p, int swap) {
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static int replay_pcap(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror("floor: open");
        return 1;
    }
    unsigned char header[24];
    if (fread(header, 1, sizeof header, f) != sizeof header) {
        fprintf(stderr, "floor: %s: too short for a pcap\n", path);
        fclose(f);
        return 1;
    }
    uint32_t magic;
    memcpy(&magic, header, 4);
    int swap;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) swap = 0;
    else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) swap = 1;
    else {
        fprintf(stderr, "floor: %s: not a classic pcap\n", path);
        fclose(f);
        return 1;
    }
    uint32_t link = rd32(header + 20, swap) & 0xffff;
    size_t link_header = link == 1 ? 14 : link == 101 ? 0 : (size_t)-1; /* Ethernet, raw IP */
    if (link_header == (size_t)-1) {
        fprintf(stderr, "floor: %s: link type %u is not Ethernet or raw IP\n", path, link);
        fclose(f);
        return 1;
    }
    static unsigned char packet[RECV_SIZE + 128];
    static char out[OUT_SIZE];
    unsigned long long n_messages = 0, n_other = 0;
    for (;;) {
        unsigned char record[16];
        if (fread(record, 1, sizeof record, f) != sizeof record) break;
        uint32_t caplen = rd32(record + 8, swap);
        if (caplen > sizeof packet) {
            fprintf(stderr, "floor: %s: a record of %u bytes\n", path, caplen);
            break;
        }
        if (fread(packet, 1, caplen, f) != caplen) break;
        const unsigned char *ip = packet + link_header;
        size_t left = caplen > link_header ? caplen - link_header : 0;
        if (link == 1 && (caplen < 14 || packet[12] != 0x08 || packet[13] != 0x00)) { n_other++; continue; }
        if (left < 20 || (ip[0] >> 4) != 4 || ip[9] != 17) { n_other++; continue; }
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
        if (left < ihl + 8) { n_other++; continue; }
        const unsigned char *udp = ip + ihl;
        size_t udp_len = ((size_t)udp[4] << 8) | udp[5];
        if (udp_len < 8 || udp_len > left - ihl) { n_other++; continue; }
        struct sockaddr_in src = {0};
        src.sin_family = AF_INET;
        memcpy(&src.sin_addr.s_addr, ip + 12, 4);
        memcpy(&src.sin_port, udp, 2);
        n_messages++;
        size_t out_len = 0;
        switch (handle((const char *)(udp + 8), udp_len - 8, &src, out, &out_len)) {
        case V_MALFORMED: n_malformed++; break;
        case V_DROP:
        case V_ABSORBED: n_dropped++; break;
        case V_ANSWER: n_answered++; break;
        }
    }
    fclose(f);
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    double seconds = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
    printf("floor replay: %llu messages (%llu other packets), %llu answered, %llu dropped, %llu malformed\n",
           n_messages, n_other, n_answered, n_dropped, n_malformed);
    printf("floor replay: %.3f s CPU, %.2f us per message\n", seconds,
           n_messages ? seconds * 1e6 / (double)n_messages : 0.0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--pcap") == 0) {
        if (argc > 4 || parse_prefix(argc == 4 ? argv[3] : "192.0.2.0/24") != 0) {
            fprintf(stderr, "usage: %s --pcap FILE [ALLOWED_PREFIX]\n", argv[0]);
            return 2;
        }
        for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++)
            osip_trace_disable_level((osip_trace_level_t)level);
        if (parser_init() != 0) {
            fprintf(stderr, "floor: parser_init failed\n");
            return 1;
        }
        return replay_pcap(argv[2]);
    }
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s IPV4 PORT [ALLOWED_PREFIX (default 192.0.2.0/24)]\n", argv[0]);
        return 2;
    }
    if (parse_prefix(argc == 4 ? argv[3] : "192.0.2.0/24") != 0) {
        fprintf(stderr, "floor: bad prefix\n");
        return 2;
    }
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    char *end;
    long port = strtol(argv[2], &end, 10);
    if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "floor: bad address or port\n");
        return 2;
    }
    addr.sin_port = htons((uint16_t)port);

    for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++)
        osip_trace_disable_level((osip_trace_level_t)level);
    if (parser_init() != 0) {
        fprintf(stderr, "floor: parser_init failed\n");
        return 1;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: recvmmsg returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("floor: bind");
        return 1;
    }
    /* A receive timeout closes the race between checking stop_requested and blocking. */
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    /* The receive buffer sipfence asks for (SIPEdge: 4 MiB), so that both lose the same. */
    int rcvbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    socklen_t alen = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    char ipbuf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, ipbuf, sizeof ipbuf);
    printf("listening udp %s:%u\n", ipbuf, ntohs(addr.sin_port));
    fflush(stdout);

    static struct mmsghdr rmsgs[BATCH], smsgs[BATCH];
    static struct iovec riov[BATCH], siov[BATCH];
    static struct sockaddr_in srcs[BATCH];
    for (int i = 0; i < BATCH; i++) {
        riov[i].iov_base = recv_bufs[i];
        riov[i].iov_len = RECV_SIZE;
    }

    while (!stop_requested) {
        for (int i = 0; i < BATCH; i++) {
            memset(&rmsgs[i].msg_hdr, 0, sizeof rmsgs[i].msg_hdr);
            rmsgs[i].msg_hdr.msg_iov = &riov[i];
            rmsgs[i].msg_hdr.msg_iovlen = 1;
            rmsgs[i].msg_hdr.msg_name = &srcs[i];
            rmsgs[i].msg_hdr.msg_namelen = sizeof srcs[i];
        }
        int got = recvmmsg(fd, rmsgs, BATCH, MSG_WAITFORONE, NULL);
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            perror("floor: recvmmsg");
            break;
        }
        int nsend = 0;
        for (int i = 0; i < got; i++) {
            n_datagrams++;
            struct msghdr *h = &rmsgs[i].msg_hdr;
            if ((h->msg_flags & MSG_TRUNC) || h->msg_namelen < sizeof(struct sockaddr_in) ||
                srcs[i].sin_family != AF_INET) {
                n_malformed++;
                continue;
            }
            size_t out_len = 0;
            switch (handle(recv_bufs[i], rmsgs[i].msg_len, &srcs[i], out_bufs[nsend], &out_len)) {
            case V_MALFORMED:
                n_malformed++;
                break;
            case V_DROP:
            case V_ABSORBED: /* silently absorbed ACKs are counted as dropped */
                n_dropped++;
                break;
            case V_ANSWER:
                siov[nsend].iov_base = out_bufs[nsend];
                siov[nsend].iov_len = out_len;
                memset(&smsgs[nsend].msg_hdr, 0, sizeof smsgs[nsend].msg_hdr);
                smsgs[nsend].msg_hdr.msg_iov = &siov[nsend];
                smsgs[nsend].msg_hdr.msg_iovlen = 1;
                smsgs[nsend].msg_hdr.msg_name = &srcs[i];
                smsgs[nsend].msg_hdr.msg_namelen = sizeof srcs[i];
                nsend++;
                break;
            }
        }
        int off = 0, retried = 0;
        while (off < nsend) {
            int sent = sendmmsg(fd, smsgs + off, (unsigned)(nsend - off), 0);
            if (sent > 0) {
                n_answered += (unsigned)sent;
                off += sent;
                retried = 0;
            } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !retried) {
                retried = 1;
            } else {
                n_send_errors++; /* skip the message that failed */
                off++;
                retried = 0;
            }
        }
    }
    close(fd);
    if (n_send_errors)
        fprintf(stderr, "floor: %llu datagrams, %llu answered, %llu dropped, %llu malformed, %llu send errors\n",
                n_datagrams, n_answered, n_dropped, n_malformed, n_send_errors);
    else
        fprintf(stderr, "floor: %llu datagrams, %llu answered, %llu dropped, %llu malformed\n",
                n_datagrams, n_answered, n_dropped, n_malformed);
    return 0;
}
