#ifndef C_ABACUS_SOCKET_H
#define C_ABACUS_SOCKET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/// One datagram slot of a batch read: where it goes, where it came from, what arrived.
typedef struct {
    void *buffer;
    size_t capacity;
    struct sockaddr_storage source;
    size_t length;
    int truncated;
} abacus_datagram;

/// Reads up to `count` datagrams in one system call (recvmmsg with MSG_WAITFORONE on Linux,
/// a single recvfrom elsewhere). Returns how many were read, or -1 with errno set.
int abacus_receive_datagrams(int fd, abacus_datagram *datagrams, unsigned int count);

/// Names the calling thread for the OS (top -H, perf); Linux only, a no-op elsewhere.
void abacus_name_thread(const char *name);

#endif
