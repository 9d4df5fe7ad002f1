/*
 * fuzz.h - what every libFuzzer target in t/fuzz shares: the entry points
 * libFuzzer calls, and CHECK(), which aborts (a crash libFuzzer reports,
 * with the input kept) when an invariant of the parser under test fails.
 */
#ifndef POSTERN_T_FUZZ_H
#define POSTERN_T_FUZZ_H

#include "sys_defs.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
