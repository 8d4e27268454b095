"""Which accounts run and on which worker: slots, the placement rule, the placer loop, one beat."""
