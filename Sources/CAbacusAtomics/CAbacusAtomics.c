// Histogram buckets updated with one atomic instruction; see include/CAbacusAtomics.h.
