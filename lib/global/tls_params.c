/*
 * tls_params.c - smtpd's TLS parameters (see tls_params.h).
 */
#include "sys_defs.h"
#include "tls_params.h"
#include "mail_params.h"

bool tls_params_smtpd_wanted(void)
{
    return strcmp(var_smtpd_tls_security_level, "none") != 0 || var_smtpd_tls_wrappermode;
}

bool tls_params_smtpd_required(void)
{
    return strcmp(var_smtpd_tls_security_level, "encrypt") == 0;
}

void tls_params_smtpd(struct tls_server_params *p)
{
    p->cert_file = var_smtpd_tls_cert_file;
    p->key_file = var_smtpd_tls_key_file;
    p->eccert_file = var_smtpd_tls_eccert_file;
    p->eckey_file = var_smtpd_tls_eckey_file;
    p->chain_files = var_smtpd_tls_chain_files;
    /* As Postfix: "encrypt" makes TLS mandatory, and the mandatory list applies. */
    p->protocols =
        tls_params_smtpd_required() ? var_smtpd_tls_mandatory_protocols : var_smtpd_tls_protocols;
    p->ciphers = var_tls_medium_cipherlist;
    p->sni_maps = var_tls_server_sni_maps;
    p->ticket_key_file = TLS_PARAMS_SMTPD_TICKET_FILE;
    p->ticket_key_lifetime = var_smtpd_tls_session_cache_timeout;
    p->loglevel = (int)var_smtpd_tls_loglevel;
}
