// Histogram buckets updated with one atomic instruction, and the per-thread shard tables;
// see include/CAbacusAtomics.h.
#include "CAbacusAtomics.h"

#include <pthread.h>
#include <stdlib.h>

__thread abacus_shard_table abacus_thread_shards;

static pthread_key_t table_key;
static pthread_once_t table_key_once = PTHREAD_ONCE_INIT;

// At thread exit: free the table (the shards belong to their histograms).
static void free_table(void *unused) {
    (void)unused;
    free(abacus_thread_shards.slots);
    abacus_thread_shards.slots = NULL;
    abacus_thread_shards.capacity = 0;
}

static void make_key(void) { pthread_key_create(&table_key, free_table); }

int abacus_shard_remember(uint32_t index, uint64_t generation, void *shard) {
    abacus_shard_table *table = &abacus_thread_shards;
    if (index >= table->capacity) {
        size_t capacity = table->capacity == 0 ? 64 : table->capacity;
        while (capacity <= index) capacity *= 2;
        abacus_shard_slot *slots = realloc(table->slots, capacity * sizeof *slots);
        if (slots == NULL) return 0;
        for (size_t k = table->capacity; k < capacity; k++) {
            slots[k].shard = NULL;
            slots[k].generation = 0;
        }
        if (table->slots == NULL) {
            // First table of this thread: have it freed when the thread exits.
            pthread_once(&table_key_once, make_key);
            pthread_setspecific(table_key, (void *)1);
        }
        table->slots = slots;
        table->capacity = capacity;
    }
    table->slots[index].shard = shard;
    table->slots[index].generation = generation;
    return 1;
}
