/*
 * byteorder.h - big-endian integers in byte buffers, for the wire and file
 * formats that carry lengths (IPC frames, queue file records).  Explicit
 * byte shifts: no alignment or host byte order assumptions.
 */
#ifndef POSTERN_BYTEORDER_H
#define POSTERN_BYTEORDER_H

#include "sys_defs.h"

static inline uint32_t be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

#endif
