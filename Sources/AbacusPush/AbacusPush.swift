// AbacusPush: under construction.
