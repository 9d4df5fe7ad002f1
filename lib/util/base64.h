/*
 * base64.h - RFC 4648 base64 decoding, strict: the alphabet of section 4,
 * padding to a multiple of four, nothing after the padding, no white
 * space.  Used for the SASL exchanges of SMTP AUTH (RFC 4954), where
 * anything else is a client error to be answered, not repaired.  The
 * encoder makes exactly what the decoder takes (tests and clients).
 */
#ifndef POSTERN_BASE64_H
#define POSTERN_BASE64_H

#include "sys_defs.h"

/* The most octets len characters of base64 can decode to. */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3)
/* The length of the encoding of len octets (without the NUL). */
#define BASE64_ENCODED_LEN(len) (((len) + 2) / 3 * 4)

/* Encode in[0..len) into out, which has room for BASE64_ENCODED_LEN(len) + 1. */
void base64_encode(const unsigned char *in, size_t len, char *out);

/*
 * Decode in[0..len) into out (room for out_max octets).  Returns 0 with
 * *out_len_r set, or -1 when the input is not strict base64 or does not
 * fit; on -1 out holds nothing the caller may use (and may hold part of a
 * secret: wipe it).
 */
int base64_decode(const unsigned char *in, size_t len, unsigned char *out, size_t out_max,
                  size_t *out_len_r);

#endif
