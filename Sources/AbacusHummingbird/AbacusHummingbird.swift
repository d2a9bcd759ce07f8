// AbacusHummingbird: under construction.
