#define _GNU_SOURCE
#include "CAbacusSocket.h"

#include <pthread.h>
#include <string.h>
#include <sys/uio.h>

#if defined(__linux__)
#define ABACUS_MAX_BATCH 256

int abacus_receive_datagrams(int fd, abacus_datagram *datagrams, unsigned int count) {
    struct mmsghdr headers[ABACUS_MAX_BATCH];
    struct iovec vectors[ABACUS_MAX_BATCH];
    if (count > ABACUS_MAX_BATCH) count = ABACUS_MAX_BATCH;
    memset(headers, 0, sizeof(struct mmsghdr) * count);
    for (unsigned int i = 0; i < count; i++) {
        vectors[i].iov_base = datagrams[i].buffer;
        vectors[i].iov_len = datagrams[i].capacity;
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
        headers[i].msg_hdr.msg_name = &datagrams[i].source;
        headers[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    int n = recvmmsg(fd, headers, count, MSG_WAITFORONE, NULL);
    for (int i = 0; i < n; i++) {
        datagrams[i].length = headers[i].msg_len;
        datagrams[i].truncated = (headers[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return n;
}
#else
int abacus_receive_datagrams(int fd, abacus_datagram *datagrams, unsigned int count) {
    if (count == 0) return 0;
    socklen_t length = sizeof(struct sockaddr_storage);
    ssize_t n = recvfrom(fd, datagrams[0].buffer, datagrams[0].capacity, MSG_TRUNC,
                         (struct sockaddr *)&datagrams[0].source, &length);
    if (n < 0) return -1;
    datagrams[0].truncated = (size_t)n > datagrams[0].capacity;
    datagrams[0].length = datagrams[0].truncated ? datagrams[0].capacity : (size_t)n;
    return 1;
}
#endif

void abacus_name_thread(const char *name) {
#if defined(__linux__)
    pthread_setname_np(pthread_self(), name);
#else
    (void)name;
#endif
}
