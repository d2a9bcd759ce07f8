// AbacusMetrics: under construction.
