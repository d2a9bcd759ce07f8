/*
 * receiver: the bare baseline for UDP ingestion. Binds 127.0.0.1:PORT, asks for a large
 * SO_RCVBUF, reads with recvmmsg in batches and only counts datagrams and bytes (no parsing):
 * the most any UDP listener on this machine can take from the same sender.
 *
 *   receiver -p PORT [-d SECONDS] [-i IDLE_SECONDS] [-b BATCH] [-B RCVBUF] [-F]
 *
 *   -p PORT      port on 127.0.0.1 to bind (required)
 *   -d SECONDS   hard limit on the whole run, waiting for the first datagram included [30]
 *   -i SECONDS   stop when nothing arrived for this long after the first datagram [1]
 *   -b BATCH     datagrams per recvmmsg call, 1..1024 [64]
 *   -B BYTES     SO_RCVBUF to ask for [8388608]; the kernel caps it at net.core.rmem_max and
 *                doubles it (bookkeeping overhead); the granted value (getsockopt) is printed
 *   -F           use SO_RCVBUFFORCE (needs CAP_NET_ADMIN; ignores net.core.rmem_max). Not the
 *                default: a gateway running as an ordinary user cannot do this.
 *
 * Once the socket is bound it prints "listening port=P rcvbuf=B" on stderr (run.sh waits for it).
 *
 * Last line on stdout (machine readable):
 *   received=N seconds=S rate=R/s rcvbuf=B drops=D bytes=Y rxq_ovfl=O drops_source=proc
 *   cpu_user=U cpu_sys=K
 * seconds = first to last datagram; rate = received / seconds.
 * drops = the `drops` column of /proc/net/udp for this socket (matched by inode), read after the
 *   last datagram, i.e. every datagram the kernel discarded at this socket because the receive
 *   buffer was full. rxq_ovfl = the same counter as delivered by SO_RXQ_OVFL with the last
 *   received datagram (it cannot include drops after that datagram, so it is only a
 *   cross-check). If /proc/net/udp has no line for the socket, drops falls back to rxq_ovfl and
 *   drops_source says so. Datagrams dropped before reaching the socket (the per-CPU backlog,
 *   net.core.netdev_max_backlog) are not in either: run.sh reads /proc/net/softnet_stat.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

#define MAX_BATCH 1024
#define BUF_SIZE 2048 /* per datagram; the blaster's are ~120 bytes */

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
    fprintf(stderr, "usage: receiver -p PORT [-d SECONDS] [-i IDLE_SECONDS] [-b BATCH] [-B RCVBUF] [-F]\n");
    exit(64);
}

static long parse_long(const char *s, const char *what, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "receiver: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
        exit(64);
    }
    return v;
}

/* drops column of /proc/net/udp for the socket with this inode; -1 if not found */
static long long proc_udp_drops(unsigned long inode) {
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f) return -1;
    char line[512];
    long long drops = -1;
    if (!fgets(line, sizeof line, f)) { fclose(f); return -1; } /* header */
    while (fgets(line, sizeof line, f)) {
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops */
        char sl[32], local[64], rem[64], st[8], txrx[64], trwhen[64], retr[32], ptr[64];
        unsigned long uid, timeout, ino, ref;
        long long d;
        int n = sscanf(line, "%31s %63s %63s %7s %63s %63s %31s %lu %lu %lu %lu %63s %lld",
                       sl, local, rem, st, txrx, trwhen, retr, &uid, &timeout, &ino, &ref, ptr, &d);
        if (n == 13 && ino == inode) { drops = d; break; }
    }
    fclose(f);
    return drops;
}

int main(int argc, char **argv) {
    long port = -1, batch = 64, want_rcvbuf = 8L << 20;
    double duration = 30, idle = 1;
    int force = 0, opt;
    while ((opt = getopt(argc, argv, "p:d:i:b:B:Fh")) != -1) {
        switch (opt) {
        case 'p': port = parse_long(optarg, "port", 1, 65535); break;
        case 'd': duration = atof(optarg); break;
        case 'i': idle = atof(optarg); break;
        case 'b': batch = parse_long(optarg, "batch", 1, MAX_BATCH); break;
        case 'B': want_rcvbuf = parse_long(optarg, "rcvbuf", 4096, 1L << 30); break;
        case 'F': force = 1; break;
        default: usage();
        }
    }
    if (port < 0 || optind != argc) usage();
    if (!(duration > 0 && duration <= 3600)) { fprintf(stderr, "receiver: -d must be in (0, 3600]\n"); return 64; }
    if (!(idle > 0 && idle <= 60)) { fprintf(stderr, "receiver: -i must be in (0, 60]\n"); return 64; }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    int v = (int)want_rcvbuf;
    if (setsockopt(fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &v, sizeof v) < 0) {
        fprintf(stderr, "receiver: setsockopt(%s, %d): %s\n", force ? "SO_RCVBUFFORCE" : "SO_RCVBUF",
                v, strerror(errno));
        return 1;
    }
    int granted = 0;
    socklen_t glen = sizeof granted;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);
    int one = 1;
    int have_ovfl = setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) == 0;

    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fprintf(stderr, "receiver: bind 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 2;
    }
    struct stat sb;
    unsigned long inode = fstat(fd, &sb) == 0 ? (unsigned long)sb.st_ino : 0;
    fprintf(stderr, "listening port=%ld rcvbuf=%d\n", port, granted);
    fflush(stderr);

    static struct mmsghdr mm[MAX_BATCH];
    static struct iovec iov[MAX_BATCH];
    static char bufs[MAX_BATCH][BUF_SIZE];
    static char ctrl[MAX_BATCH][CMSG_SPACE(sizeof(uint32_t))];
    for (long i = 0; i < batch; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = BUF_SIZE;
    }

    uint64_t received = 0, bytes = 0;
    uint32_t rxq_ovfl = 0;
    const double start = now_s();
    const double deadline = start + duration;
    double first = 0, last = 0;

    while (!stop_flag) {
        for (long i = 0; i < batch; i++) {
            mm[i].msg_hdr.msg_name = NULL;
            mm[i].msg_hdr.msg_namelen = 0;
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
            mm[i].msg_hdr.msg_control = have_ovfl ? ctrl[i] : NULL;
            mm[i].msg_hdr.msg_controllen = have_ovfl ? sizeof ctrl[i] : 0;
            mm[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(fd, mm, (unsigned)batch, MSG_DONTWAIT, NULL);
        if (n > 0) {
            double t = now_s();
            if (received == 0) first = t;
            last = t;
            received += (uint64_t)n;
            for (int i = 0; i < n; i++) bytes += mm[i].msg_len;
            if (have_ovfl) {
                struct msghdr *h = &mm[n - 1].msg_hdr;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
                        memcpy(&rxq_ovfl, CMSG_DATA(c), sizeof rxq_ovfl);
            }
            if (t >= deadline) break;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            perror("recvmmsg");
            return 1;
        }
        /* Nothing queued: wait, bounded by the idle limit (after the first datagram) and -d. */
        double t = now_s();
        if (t >= deadline) break;
        if (received && t - last >= idle) break;
        double until = deadline;
        if (received && last + idle < until) until = last + idle;
        int ms = (int)((until - t) * 1000) + 1;
        struct pollfd p = {fd, POLLIN, 0};
        poll(&p, 1, ms);
    }

    long long drops = proc_udp_drops(inode);
    const char *source = "proc";
    if (drops < 0) { drops = have_ovfl ? (long long)rxq_ovfl : -1; source = have_ovfl ? "rxq_ovfl" : "none"; }
    double secs = received > 1 ? last - first : 0;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    double cs = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

    char ovfl[32];
    if (have_ovfl) snprintf(ovfl, sizeof ovfl, "%u", rxq_ovfl);
    else snprintf(ovfl, sizeof ovfl, "n/a");
    printf("received=%llu seconds=%.3f rate=%.0f/s rcvbuf=%d drops=%lld bytes=%llu rxq_ovfl=%s "
           "drops_source=%s cpu_user=%.2f cpu_sys=%.2f\n",
           (unsigned long long)received, secs, secs > 0 ? (double)received / secs : 0.0, granted,
           drops, (unsigned long long)bytes, ovfl, source, cu, cs);
    close(fd);
    return 0;
}
