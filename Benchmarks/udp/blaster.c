/*
 * blaster: send JSON-lines `inc` messages (docs docs/ops.md) as UDP datagrams to
 * 127.0.0.1:PORT with sendmmsg, one message per datagram, as fast as possible or paced.
 *
 *   blaster -p PORT [-d SECONDS] [-r RATE] [-n COUNT] [-b BATCH] [-s SERIES] [-t SLICE_US] [-f FORMAT]
 *
 *   -p PORT      destination port on 127.0.0.1 (required)
 *   -d SECONDS   send for at most this long [10]; the program never runs longer (plus the
 *                duration of one sendmmsg call)
 *   -r RATE      target datagrams per second; 0 = as fast as possible [0]
 *   -n COUNT     stop after COUNT datagrams (0 = no limit) [0]
 *   -b BATCH     datagrams per sendmmsg call, 1..1024 [64]
 *   -s SERIES    distinct label values "series":"s<i % SERIES>" [1000]
 *   -t SLICE_US  pacing time slice in microseconds [1000]
 *   -f FORMAT    `jobs` (default) or `bench` (the first harness's message), see below
 *
 * Each datagram is one ~120-byte message ending in '\n'. `jobs` (what a PHP app sends; the
 * same bytes as opsMessage() in Benchmarks/Benchmarks/GatewayStoreBenchmarks/OpsBenchmarks.swift
 * and Benchmarks/ops/uds-sender.c), 116-122 bytes:
 *   {"name":"jobs_total","help":"Jobs run","labels":{"queue":"mail","host":"web-17","status":"ok"},"op":"inc","value":1}
 * message i: queue = mail|sms|push|report|index [i % 5], host = web-NN with NN = i / 5 % 100,
 * status = ok for i / 500 even, else retry; above 1000 series a label "shard":"<i / 1000>" is
 * added before status. `bench`, 118-120 bytes:
 *   {"name":"abacus_udp_bench_requests_total","labels":{"job":"php","host":"web-01","series":"s417"},"op":"inc","value":1}
 * Either way a receiver that applies everything ends with SERIES counters whose sum equals `sent`.
 *
 * Pacing (-r > 0): the number of datagrams due is RATE * elapsed; the sender sends what is due
 * (in batches of at most BATCH), then sleeps with clock_nanosleep(TIMER_ABSTIME) to the next
 * SLICE_US boundary. If it falls behind by more than 8 slices (descheduled), the deficit is
 * forgiven instead of being sent as one burst; the printed rate is what was actually sent.
 *
 * Last line on stdout (machine readable):
 *   sent=N seconds=S rate=R/s bytes=B avg_len=L errors=E cpu_user=U cpu_sys=K
 * (sent = datagrams the kernel accepted, not datagrams received; errors = failed sendmmsg calls,
 * e.g. ECONNREFUSED when nothing listens, which the kernel reports only as often as its ICMP
 * rate limit lets "port unreachable" through, so at full speed a missing receiver can show
 * errors=0; cpu_* in seconds from getrusage, which on loopback includes the kernel's delivery
 * into the receiving socket: that work runs in the sender's system call.)
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
    fprintf(stderr, "usage: blaster -p PORT [-d SECONDS] [-r RATE] [-n COUNT] [-b BATCH] "
                    "[-s SERIES] [-t SLICE_US] [-f jobs|bench]\n");
    exit(64);
}

static long parse_long(const char *s, const char *what, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "blaster: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
        exit(64);
    }
    return v;
}

int main(int argc, char **argv) {
    long port = -1, count = 0, batch = 64, series = 1000, slice_us = 1000;
    double duration = 10, rate = 0;
    int bench_format = 0;
    int opt;
    while ((opt = getopt(argc, argv, "p:d:r:n:b:s:t:f:h")) != -1) {
        switch (opt) {
        case 'p': port = parse_long(optarg, "port", 1, 65535); break;
        case 'd': duration = atof(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'n': count = parse_long(optarg, "count", 0, 1L << 50); break;
        case 'b': batch = parse_long(optarg, "batch", 1, MAX_BATCH); break;
        case 's': series = parse_long(optarg, "series", 1, 1000000); break;
        case 't': slice_us = parse_long(optarg, "slice", 50, 1000000); break;
        case 'f':
            if (strcmp(optarg, "jobs") == 0) bench_format = 0;
            else if (strcmp(optarg, "bench") == 0) bench_format = 1;
            else usage();
            break;
        default: usage();
        }
    }
    if (port < 0 || optind != argc) usage();
    if (!(duration > 0 && duration <= 3600)) { fprintf(stderr, "blaster: -d must be in (0, 3600]\n"); return 64; }
    if (!(rate >= 0 && rate <= 1e9)) { fprintf(stderr, "blaster: -r must be in [0, 1e9]\n"); return 64; }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    /* One message per series, built once. */
    char **msg = calloc((size_t)series, sizeof *msg);
    size_t *len = calloc((size_t)series, sizeof *len);
    if (!msg || !len) { perror("calloc"); return 1; }
    for (long i = 0; i < series; i++) {
        char buf[256];
        int n;
        if (bench_format) {
            n = snprintf(buf, sizeof buf,
                         "{\"name\":\"abacus_udp_bench_requests_total\",\"labels\":{\"job\":\"php\","
                         "\"host\":\"web-01\",\"series\":\"s%ld\"},\"op\":\"inc\",\"value\":1}\n", i);
        } else {
            static const char *queues[] = {"mail", "sms", "push", "report", "index"};
            char shard[32] = "";
            if (series > 1000) snprintf(shard, sizeof shard, "\"shard\":\"%ld\",", i / 1000);
            n = snprintf(buf, sizeof buf,
                         "{\"name\":\"jobs_total\",\"help\":\"Jobs run\",\"labels\":{\"queue\":\"%s\","
                         "\"host\":\"web-%02ld\",%s\"status\":\"%s\"},\"op\":\"inc\",\"value\":1}\n",
                         queues[i % 5], i / 5 % 100, shard, i / 500 % 2 == 0 ? "ok" : "retry");
        }
        msg[i] = strdup(buf);
        len[i] = (size_t)n;
    }

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    struct sockaddr_in dst = {0};
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Connected like `nc -u`: the route is cached and ICMP errors are reported (and counted). */
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) { perror("connect"); return 1; }

    static struct mmsghdr mm[MAX_BATCH];
    static struct iovec iov[MAX_BATCH];

    uint64_t sent = 0, bytes = 0, errors = 0;
    long next_series = 0;
    const double slice = (double)slice_us / 1e6;
    const double start = now_s();
    const double deadline = start + duration;
    double base = start;        /* pacing origin, moved forward when a deficit is forgiven */
    uint64_t base_sent = 0;     /* datagrams sent when `base` was set */
    double t = start;

    while (!stop_flag) {
        t = now_s();
        if (t >= deadline) break;
        if (count && sent >= (uint64_t)count) break;

        uint64_t want = (uint64_t)batch;
        if (rate > 0) {
            double due_f = (t - base) * rate;
            uint64_t due = base_sent + (uint64_t)due_f;
            if (due > sent + (uint64_t)(8 * slice * rate) + (uint64_t)batch) {
                /* Far behind (we were descheduled): forgive, don't burst. */
                base = t; base_sent = sent; due = sent;
            }
            if (due <= sent) {
                /* Sleep to the next slice boundary (absolute, so no drift). */
                double k = (double)(long)((t - start) / slice) + 1;
                double wake = start + k * slice;
                if (wake > deadline) wake = deadline;
                struct timespec ts;
                ts.tv_sec = (time_t)wake;
                ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
                if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                continue;
            }
            if (due - sent < want) want = due - sent;
        }
        if (count && (uint64_t)count - sent < want) want = (uint64_t)count - sent;

        for (uint64_t i = 0; i < want; i++) {
            iov[i].iov_base = msg[next_series];
            iov[i].iov_len = len[next_series];
            memset(&mm[i], 0, sizeof mm[i]);
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
            if (++next_series == series) next_series = 0;
        }
        int r = sendmmsg(fd, mm, (unsigned)want, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            /* ECONNREFUSED (nothing bound yet / any more), ENOBUFS, EAGAIN: count the call,
               pause 100 µs so a dead receiver does not turn this into a busy error loop,
               and go on (the failed batch is not retried). */
            errors++;
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            continue;
        }
        for (int i = 0; i < r; i++) bytes += mm[i].msg_len;
        sent += (uint64_t)r;
        /* Series not sent in a short write are simply skipped; the mix stays uniform. */
    }
    double end = now_s();
    double secs = end - start;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    double cs = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

    printf("sent=%llu seconds=%.3f rate=%.0f/s bytes=%llu avg_len=%.1f errors=%llu "
           "cpu_user=%.2f cpu_sys=%.2f\n",
           (unsigned long long)sent, secs, secs > 0 ? (double)sent / secs : 0.0,
           (unsigned long long)bytes, sent ? (double)bytes / (double)sent : 0.0,
           (unsigned long long)errors, cu, cs);
    close(fd);
    return 0;
}
