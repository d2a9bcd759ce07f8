#ifndef CABACUS_ATOMICS_H
#define CABACUS_ATOMICS_H

#include <stdint.h>
#include <string.h>

/// One histogram bucket: how many observations fell in it and their sum (a double's bits),
/// side by side and 16-byte aligned so that one instruction updates both where the CPU has
/// one (cmpxchg16b on x86-64): an observation then costs one atomic read-modify-write, not
/// two (the count's add and the sum's compare-and-exchange).
typedef struct __attribute__((aligned(16))) {
    uint64_t count;
    uint64_t sum_bits;
} abacus_bucket;

static inline void abacus_bucket_init(abacus_bucket *bucket) {
    bucket->count = 0;
    bucket->sum_bits = 0;
}

/// Adds one observation of `value` to the bucket.
static inline void abacus_bucket_add(abacus_bucket *bucket, double value) {
#if defined(__x86_64__)
    // A first guess from two relaxed loads; the compare-and-exchange checks it and, when
    // another thread got there first, hands back the current pair for the next try.
    uint64_t count = __atomic_load_n(&bucket->count, __ATOMIC_RELAXED);
    uint64_t bits = __atomic_load_n(&bucket->sum_bits, __ATOMIC_RELAXED);
    for (;;) {
        double sum;
        memcpy(&sum, &bits, sizeof sum);
        sum += value;
        uint64_t new_bits;
        memcpy(&new_bits, &sum, sizeof new_bits);
        uint64_t new_count = count + 1;
        unsigned char exchanged;
        __asm__ __volatile__("lock cmpxchg16b %1\n\tsetz %0"
                             : "=q"(exchanged), "+m"(*bucket), "+a"(count), "+d"(bits)
                             : "b"(new_count), "c"(new_bits)
                             : "cc", "memory");
        if (exchanged) return;
    }
#else
    __atomic_fetch_add(&bucket->count, 1, __ATOMIC_RELAXED);
    uint64_t bits = __atomic_load_n(&bucket->sum_bits, __ATOMIC_RELAXED);
    for (;;) {
        double sum;
        memcpy(&sum, &bits, sizeof sum);
        sum += value;
        uint64_t new_bits;
        memcpy(&new_bits, &sum, sizeof new_bits);
        if (__atomic_compare_exchange_n(&bucket->sum_bits, &bits, new_bits, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            return;
        }
    }
#endif
}

/// The bucket's observation count.
static inline uint64_t abacus_bucket_count(abacus_bucket *bucket) {
    return __atomic_load_n(&bucket->count, __ATOMIC_RELAXED);
}

/// The sum of the bucket's observations.
static inline double abacus_bucket_sum(abacus_bucket *bucket) {
    uint64_t bits = __atomic_load_n(&bucket->sum_bits, __ATOMIC_RELAXED);
    double sum;
    memcpy(&sum, &bits, sizeof sum);
    return sum;
}

#endif
