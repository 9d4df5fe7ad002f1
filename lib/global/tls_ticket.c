/*
 * tls_ticket.c - the shared session ticket keys (see tls_ticket.h).
 *
 * A key is 80 random bytes: a 16-byte name that the ticket carries, a
 * 32-byte HMAC-SHA256 key and a 32-byte AES-256-CBC key, as OpenSSL's
 * ticket format wants.  The file is the current key, then the previous one.
 */
#include "sys_defs.h"
#include <sys/file.h>
#include <sys/random.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "tls_ticket.h"
#include "file_replace.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

#define TICKET_NAME_LEN 16
#define TICKET_HMAC_LEN 32
#define TICKET_AES_LEN 32
#define TICKET_KEY_LEN (TICKET_NAME_LEN + TICKET_HMAC_LEN + TICKET_AES_LEN)
#define TICKET_NKEYS 2

static unsigned char ticket_keys[TICKET_NKEYS][TICKET_KEY_LEN];
static int ticket_nkeys;

/* Read the key file; 1 with the keys and the file's age, 0 missing or unusable, -1 error. */
static int ticket_read(const char *path, unsigned char keys[][TICKET_KEY_LEN], int *nkeys_r,
                       time_t *mtime_r, char **error_r)
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        *error_r = xasprintf("open %s: %m", path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        *error_r = xasprintf("fstat %s: %m", path);
        close_quietly(fd);
        return -1;
    }
    /* Only root's own, private file is trusted to hold the keys. */
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) {
        *error_r = xasprintf("%s: not a regular file of root's with mode 0600", path);
        close_quietly(fd);
        return -1;
    }
    n = read_full(fd, keys, TICKET_NKEYS * TICKET_KEY_LEN);
    close_quietly(fd);
    if (n < 0) {
        *error_r = xasprintf("read %s: %m", path);
        return -1;
    }
    if (n == 0 || n % TICKET_KEY_LEN != 0)
        return 0; /* a torn or empty file: make a new one */
    *nkeys_r = (int)(n / TICKET_KEY_LEN);
    *mtime_r = st.st_mtime;
    return 1;
}

/* Make a new current key, keeping the old current one as the previous. */
static int ticket_rotate(const char *path, unsigned char keys[][TICKET_KEY_LEN], int *nkeys,
                         char **error_r)
{
    if (*nkeys > 0)
        memcpy(keys[1], keys[0], TICKET_KEY_LEN);
    if (getrandom(keys[0], TICKET_KEY_LEN, 0) != TICKET_KEY_LEN) {
        *error_r = xasprintf("getrandom: %m");
        return -1;
    }
    *nkeys = *nkeys > 0 ? 2 : 1;
    return file_replace(path, keys, (size_t)*nkeys * TICKET_KEY_LEN, 0, 0, 0600, error_r);
}

/* Load the keys, rotating under the lock when the current one is too old. */
static int ticket_load(const char *path, long long lifetime, char **error_r)
{
    char lock[PATH_MAX];
    time_t mtime = 0;
    int fd, r, ret = -1;

    snprintf(lock, sizeof(lock), "%s.lock", path);
    if ((fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        *error_r = xasprintf("open %s: %m", lock);
        return -1;
    }
    /* Processes starting together must not each make a key of their own. */
    if (flock(fd, LOCK_EX) < 0) {
        *error_r = xasprintf("lock %s: %m", lock);
        close_quietly(fd);
        return -1;
    }
    ticket_nkeys = 0;
    r = ticket_read(path, ticket_keys, &ticket_nkeys, &mtime, error_r);
    if (r == 0)
        ticket_nkeys = 0;
    if (r >= 0) {
        if (r == 0 || time(NULL) - mtime >= lifetime)
            ret = ticket_rotate(path, ticket_keys, &ticket_nkeys, error_r);
        else
            ret = 0;
    }
    close_quietly(fd); /* releases the lock */
    return ret;
}

static int ticket_mac_init(EVP_MAC_CTX *hctx, unsigned char *key)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, TICKET_HMAC_LEN),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };

    return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

/*
 * OpenSSL's ticket callback.  Encrypting: always the current key.
 * Decrypting: 1 for the current key, 2 (accept, and issue a new ticket)
 * for the previous one, 0 for an unknown name (full handshake), -1 error.
 */
static int ticket_cb(SSL *ssl UNUSED, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *cctx,
                     EVP_MAC_CTX *hctx, int enc)
{
    unsigned char *k;
    int i;

    if (enc) {
        k = ticket_keys[0];
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
            return -1;
        memcpy(name, k, TICKET_NAME_LEN);
        if (ticket_mac_init(hctx, k + TICKET_NAME_LEN) < 0 ||
            EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k + TICKET_NAME_LEN + TICKET_HMAC_LEN,
                               iv) != 1)
            return -1;
        return 1;
    }
    for (i = 0; i < ticket_nkeys; i++)
        if (memcmp(name, ticket_keys[i], TICKET_NAME_LEN) == 0)
            break;
    if (i == ticket_nkeys)
        return 0;
    k = ticket_keys[i];
    if (ticket_mac_init(hctx, k + TICKET_NAME_LEN) < 0 ||
        EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k + TICKET_NAME_LEN + TICKET_HMAC_LEN,
                           iv) != 1)
        return -1;
    return i == 0 ? 1 : 2;
}

int tls_ticket_init(SSL_CTX *ctx, const char *path, long long lifetime, char **error_r)
{
    char *why;

    if (ticket_load(path, lifetime, &why) < 0) {
        *error_r = xasprintf("session ticket keys: %s", why);
        free(why);
        return -1;
    }
    if (SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1) {
        *error_r = xstrdup("session ticket keys: cannot set the ticket callback");
        return -1;
    }
    return 0;
}
