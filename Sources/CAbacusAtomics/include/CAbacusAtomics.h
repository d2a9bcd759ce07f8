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

/// The number of the `count` bounds that `value` exceeds: the index of its histogram bucket.
/// Comparisons are added up, never branched on, so values in random order cost no branch
/// mispredictions (Swift's optimiser turns the same loop into a branch per bound).
static inline long abacus_bucket_index(const double *bounds, long count, double value) {
    long index = 0;
    for (long k = 0; k < count; k++) index += value > bounds[k];
    return index;
}

/// Asks the CPU to start loading the cache line at `address` (a scrape walks series in label
/// order, which is not memory order: loading ahead hides the misses). Never faults.
static inline void abacus_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// MARK: Per-thread histogram shards

/// One entry of a thread's shard table: the shard this thread writes for the histogram that
/// holds the slot's index, valid while `generation` is that histogram's (indexes are reused
/// after a histogram is freed; generations never are).
typedef struct {
    void *shard;
    uint64_t generation;
} abacus_shard_slot;

typedef struct {
    abacus_shard_slot *slots;
    size_t capacity;
} abacus_shard_table;

/// This thread's table, indexed by histogram slot index. Freed when the thread exits.
extern __thread abacus_shard_table abacus_thread_shards;

/// This thread's shard of the histogram with `index` and `generation`, or NULL.
static inline void *abacus_shard_find(uint32_t index, uint64_t generation) {
    abacus_shard_table *table = &abacus_thread_shards;
    if (index < table->capacity && table->slots[index].generation == generation) return table->slots[index].shard;
    return NULL;
}

/// Remembers `shard` as this thread's shard of histogram `index`/`generation`. Returns 0 when
/// the table could not grow (out of memory).
int abacus_shard_remember(uint32_t index, uint64_t generation, void *shard);

/// Adds one to a word only this thread writes (no lock prefix: a plain load and store that
/// readers on other threads see whole).
static inline void abacus_shard_increment(uint64_t *word) {
    __atomic_store_n(word, __atomic_load_n(word, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/// Adds `value` to a double (kept as bits) only this thread writes.
static inline void abacus_shard_add(uint64_t *word, double value) {
    uint64_t bits = __atomic_load_n(word, __ATOMIC_RELAXED);
    double sum;
    memcpy(&sum, &bits, sizeof sum);
    sum += value;
    memcpy(&bits, &sum, sizeof bits);
    __atomic_store_n(word, bits, __ATOMIC_RELAXED);
}

/// A word another thread may be writing, read whole.
static inline uint64_t abacus_load_word(uint64_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }

#endif
