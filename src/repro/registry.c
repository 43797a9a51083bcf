/* The table of reproductions, built from list.h. */
#include "repro.h"

#define REPRO(name) extern const repro repro_##name;
#include "list.h"
#undef REPRO

const repro *const REPROS[] = {
#define REPRO(name) &repro_##name,
#include "list.h"
#undef REPRO
};
const size_t N_REPROS = sizeof REPROS / sizeof REPROS[0];
