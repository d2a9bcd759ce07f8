/*
 * uds-sender: writes JSON-lines `inc` messages (docs docs/ops.md) over ONE long-lived stream
 * connection (a Unix domain socket, or TCP) as fast as the reader takes them, in large writes
 * of pre-built messages, for a fixed time or count.
 *
 *   uds-sender (-u PATH | -t HOST:PORT) [-d SECONDS] [-n COUNT] [-s SERIES] [-w WRITE_BYTES]
 *
 *   -u PATH        Unix stream socket to connect to
 *   -t HOST:PORT   TCP instead (numeric IPv4 host)
 *   -d SECONDS     write for this long [10]; then the message being written is completed and
 *                  the connection closed
 *   -n COUNT       stop after COUNT messages instead (0 = no limit) [0]
 *   -s SERIES      distinct label sets [1000]
 *   -w BYTES       bytes per write() call [262144]
 *
 * Messages are those of Benchmarks/udp/blaster.c's default format (`jobs`), 116-122 bytes each
 * with '\n', e.g.
 *   {"name":"jobs_total","help":"Jobs run","labels":{"queue":"mail","host":"web-17","status":"ok"},"op":"inc","value":1}
 * cycling over SERIES label sets; a write ends anywhere, in the middle of a message too (the
 * reader must frame the stream). A reader that applies everything ends with SERIES counters
 * whose sum equals `sent`.
 *
 * Last line on stdout (machine readable):
 *   sent=N seconds=S rate=R/s bytes=B avg_len=L writes=W cpu_user=U cpu_sys=K
 * sent = complete messages the kernel accepted; seconds = connect to close; rate = sent/seconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
    fprintf(stderr, "usage: uds-sender (-u PATH | -t HOST:PORT) [-d SECONDS] [-n COUNT] [-s SERIES] [-w WRITE_BYTES]\n");
    exit(64);
}

static long parse_long(const char *s, const char *what, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "uds-sender: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
        exit(64);
    }
    return v;
}

/* Message i, as blaster.c's `jobs` format. Returns its length. */
static int message(char *buf, size_t size, long i, long series) {
    static const char *queues[] = {"mail", "sms", "push", "report", "index"};
    char shard[32] = "";
    if (series > 1000) snprintf(shard, sizeof shard, "\"shard\":\"%ld\",", i / 1000);
    return snprintf(buf, size,
                    "{\"name\":\"jobs_total\",\"help\":\"Jobs run\",\"labels\":{\"queue\":\"%s\","
                    "\"host\":\"web-%02ld\",%s\"status\":\"%s\"},\"op\":\"inc\",\"value\":1}\n",
                    queues[i % 5], i / 5 % 100, shard, i / 500 % 2 == 0 ? "ok" : "retry");
}

/* Writes len bytes; returns bytes written (short only on error or stop). */
static size_t write_some(int fd, const char *p, size_t len, int *err) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
        if (errno == EINTR) return 0;
        *err = errno;
        return 0;
    }
    return (size_t)w;
}

int main(int argc, char **argv) {
    const char *path = NULL, *tcp = NULL;
    double duration = 10;
    long count = 0, series = 1000, wsize = 262144;
    int opt;
    while ((opt = getopt(argc, argv, "u:t:d:n:s:w:h")) != -1) {
        switch (opt) {
        case 'u': path = optarg; break;
        case 't': tcp = optarg; break;
        case 'd': duration = atof(optarg); break;
        case 'n': count = parse_long(optarg, "count", 0, 1L << 50); break;
        case 's': series = parse_long(optarg, "series", 1, 10000000); break;
        case 'w': wsize = parse_long(optarg, "write size", 1, 64L << 20); break;
        default: usage();
        }
    }
    if ((!path) == (!tcp) || optind != argc) usage();
    if (!(duration > 0 && duration <= 3600)) { fprintf(stderr, "uds-sender: -d must be in (0, 3600]\n"); return 64; }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    /* A ring of whole messages, a multiple of SERIES messages and at least 1 MiB + one write,
       so that any write is one contiguous slice (the ring is stored twice in a row). */
    size_t cycle = 0;
    char tmp[256];
    for (long i = 0; i < series; i++) cycle += (size_t)message(tmp, sizeof tmp, i, series);
    size_t reps = ((1u << 20) + (size_t)wsize) / cycle + 1;
    size_t ring_len = cycle * reps;
    size_t nmsg = (size_t)series * reps;
    char *ring = malloc(2 * ring_len);
    size_t *ends = malloc(nmsg * sizeof *ends); /* offset after each message in the ring */
    if (!ring || !ends) { perror("malloc"); return 1; }
    size_t off = 0;
    for (size_t r = 0; r < reps; r++)
        for (long i = 0; i < series; i++) {
            int n = message(ring + off, 256, i, series);
            off += (size_t)n;
            ends[r * (size_t)series + (size_t)i] = off;
        }
    memcpy(ring + ring_len, ring, ring_len);

    int fd;
    if (path) {
        struct sockaddr_un a = {0};
        a.sun_family = AF_UNIX;
        if (strlen(path) >= sizeof a.sun_path) { fprintf(stderr, "uds-sender: path too long\n"); return 64; }
        strcpy(a.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    } else {
        char host[64];
        const char *colon = strrchr(tcp, ':');
        if (!colon || (size_t)(colon - tcp) >= sizeof host) usage();
        memcpy(host, tcp, (size_t)(colon - tcp));
        host[colon - tcp] = 0;
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)parse_long(colon + 1, "port", 1, 65535));
        if (inet_pton(AF_INET, host, &a.sin_addr) != 1) usage();
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    }

    uint64_t total = 0, writes = 0; /* bytes accepted */
    int err = 0;
    size_t pos = 0; /* position in the ring */
    uint64_t limit_bytes = 0;
    if (count) {
        uint64_t full = (uint64_t)count / nmsg, rest = (uint64_t)count % nmsg;
        limit_bytes = full * ring_len + (rest ? ends[rest - 1] : 0);
    }
    const double start = now_s(), deadline = start + duration;
    int check = 0;
    while (!stop_flag && !err) {
        if (++check == 16) { check = 0; if (now_s() >= deadline) break; }
        size_t want = (size_t)wsize;
        if (limit_bytes) {
            if (total >= limit_bytes) break;
            if (limit_bytes - total < want) want = (size_t)(limit_bytes - total);
        }
        size_t w = write_some(fd, ring + pos, want, &err);
        writes++;
        total += w;
        pos = (pos + w) % ring_len;
    }
    /* Complete the message being written, so that the stream ends on a boundary. */
    if (!err) {
        size_t lo = 0, hi = nmsg; /* first end >= pos */
        while (lo < hi) { size_t mid = (lo + hi) / 2; if (ends[mid] < pos) lo = mid + 1; else hi = mid; }
        size_t target = pos == 0 ? 0 : ends[lo];
        while (pos < target && !err) {
            size_t w = write_some(fd, ring + pos, target - pos, &err);
            total += w; pos += w; writes++;
        }
        pos %= ring_len;
    }
    if (err) fprintf(stderr, "uds-sender: write: %s\n", strerror(err));
    /* Complete messages sent: whole rings plus the message ends up to pos. */
    uint64_t sent = (total / ring_len) * nmsg;
    size_t rem = (size_t)(total % ring_len);
    {
        size_t lo = 0, hi = nmsg; /* number of ends <= rem */
        while (lo < hi) { size_t mid = (lo + hi) / 2; if (ends[mid] <= rem) lo = mid + 1; else hi = mid; }
        sent += lo;
    }
    close(fd);
    double secs = now_s() - start;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    double cs = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("sent=%llu seconds=%.3f rate=%.0f/s bytes=%llu avg_len=%.1f writes=%llu cpu_user=%.2f cpu_sys=%.2f\n",
           (unsigned long long)sent, secs, secs > 0 ? (double)sent / secs : 0.0, (unsigned long long)total,
           sent ? (double)total / (double)sent : 0.0, (unsigned long long)writes, cu, cs);
    return err ? 1 : 0;
}
