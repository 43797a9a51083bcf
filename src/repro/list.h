/* The gallery, in the order `mechanics list` and `reproduce all` use.
 * One line per reproduction src/repro/<name>.c defining repro_<name>. */
REPRO(saxe)
REPRO(eigenlearning)
REPRO(committee)
REPRO(chinchilla)
REPRO(diagonal)
REPRO(ntk)
REPRO(eos)
REPRO(mup)
REPRO(scaling)
REPRO(collapse)
REPRO(grokking)
