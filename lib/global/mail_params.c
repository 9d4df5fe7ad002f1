/*
 * mail_params.c - main.cf parameters: the table, loading, expansion and
 * type checking (see mail_params.h).
 *
 * Every parameter is described once, in params[] below: name, type, default
 * (raw, with $references, expanded at load time like any other value) and
 * the variable it sets.  Adding a parameter means adding one line here and
 * one extern in mail_params.h.
 */
#include "sys_defs.h"
#include "mail_params.h"
#include "conf.h"
#include "buf.h"
#include "mymalloc.h"
#include "msg.h"
#include "dict.h"
#include "proxy_client.h"
#include "strutil.h"

char *var_config_dir, *var_queue_dir, *var_daemon_dir, *var_command_dir, *var_data_dir;
char *var_mail_owner, *var_setgid_group, *var_mail_name;
char *var_myhostname, *var_mydomain, *var_myorigin, *var_mydestination, *var_mynetworks;
char *var_inet_interfaces, *var_inet_protocols, *var_relay_domains, *var_relayhost;
char *var_maillog_file, *var_syslog_name, *var_recipient_delimiter;
char *var_home_mailbox, *var_mail_spool_dir, *var_smtpd_banner;
char *var_smtpd_forbid_bare_newline, *var_dns_resolver_conf;
char *var_smtpd_forbid_bare_newline_exclusions;
char *var_proxy_interfaces;
long long var_smtpd_session_time_limit;
bool var_smtpd_forbid_unauth_pipelining;
long long var_message_size_limit, var_line_length_limit, var_smtpd_timeout;
long long var_smtpd_recipient_limit, var_smtpd_soft_error_limit, var_smtpd_hard_error_limit;
long long var_smtpd_error_sleep_time, var_max_use, var_max_idle, var_default_process_limit;
long long var_ipc_timeout, var_queue_run_delay, var_minimal_backoff_time;
long long var_maximal_backoff_time, var_maximal_queue_lifetime;
long long var_default_destination_concurrency_limit, var_qmgr_message_active_limit;
long long var_smtp_tcp_port, var_daemon_timeout;
long long var_smtp_connect_timeout, var_smtp_helo_timeout, var_smtp_starttls_timeout;
long long var_smtp_mail_timeout, var_smtp_rcpt_timeout, var_smtp_data_init_timeout;
long long var_smtp_data_xfer_timeout, var_smtp_data_done_timeout, var_smtp_quit_timeout;
long long var_smtp_mx_address_limit, var_smtp_mx_session_limit;
bool var_smtp_skip_5xx_greeting, var_smtp_sasl_auth_enable, var_smtp_connection_cache_on_demand;
bool var_smtp_use_bdat, var_disable_mime_output_conversion;
long long var_smtp_connection_cache_time_limit, var_smtp_connection_reuse_time_limit;
long long var_smtp_rset_timeout;
char *var_smtp_sasl_password_maps, *var_smtp_sasl_security_options;
char *var_smtp_helo_name, *var_smtp_tls_security_level;
char *var_smtp_bind_address, *var_smtp_bind_address6;
char *var_smtp_tls_CAfile, *var_smtp_tls_CApath, *var_smtp_tls_policy_maps;
long long var_deliver_lock_attempts, var_deliver_lock_delay, var_stale_lock_time;
char *var_stress, *var_default_database_type;
char *var_auth_owner, *var_auth_password_maps;
long long var_auth_failure_delay, var_auth_client_failure_limit;
long long var_auth_client_failure_window, var_auth_client_block_time;
long long var_anvil_rate_time_unit, var_anvil_status_update_time;
long long var_smtpd_client_connection_count_limit, var_smtpd_client_connection_rate_limit;
long long var_smtpd_client_message_rate_limit, var_smtpd_client_recipient_rate_limit;
char *var_smtpd_client_event_limit_exceptions;
bool var_smtpd_per_record_deadline;
char *var_proxy_read_maps, *var_transport_maps, *var_default_transport, *var_relay_transport;
char *var_alias_maps, *var_alias_database, *var_allow_mail_to_commands, *var_allow_mail_to_files;
char *var_default_privs, *var_forward_path;
bool var_local_extension_folders;
char *var_virtual_alias_maps, *var_virtual_alias_domains, *var_virtual_mailbox_maps;
char *var_virtual_mailbox_domains, *var_virtual_mailbox_base, *var_virtual_uid_maps;
char *var_virtual_gid_maps;
long long var_virtual_alias_expansion_limit, var_virtual_alias_recursion_limit;
long long var_virtual_minimum_uid, var_virtual_mailbox_quota, var_virtual_quota_defer_time;
long long var_command_time_limit;
char *var_command_expansion_filter;
bool var_smtpd_peername_lookup, var_smtpd_helo_required, var_disable_vrfy_command;
char *var_smtpd_client_restrictions, *var_smtpd_helo_restrictions, *var_smtpd_sender_restrictions;
char *var_smtpd_relay_restrictions, *var_smtpd_recipient_restrictions;
char *var_smtpd_data_restrictions, *var_parent_domain_matches_subdomains;
char *var_smtpd_null_access_lookup_key;
bool var_smtpd_delay_reject, var_smtpd_reject_unlisted_recipient;
long long var_reject_code, var_defer_code, var_access_map_reject_code, var_access_map_defer_code;
long long var_relay_domains_reject_code, var_unknown_address_reject_code;
long long var_non_fqdn_reject_code, var_invalid_hostname_reject_code, var_maps_rbl_reject_code;
char *var_smtpd_tls_security_level, *var_smtpd_tls_cert_file, *var_smtpd_tls_key_file;
char *var_smtpd_tls_eccert_file, *var_smtpd_tls_eckey_file, *var_smtpd_tls_chain_files;
char *var_smtpd_tls_protocols, *var_smtpd_tls_mandatory_protocols, *var_tls_medium_cipherlist;
char *var_tls_server_sni_maps;
bool var_smtpd_tls_wrappermode, var_smtpd_tls_received_header;
long long var_smtpd_tls_loglevel, var_smtpd_tls_session_cache_timeout;
bool var_smtpd_sasl_auth_enable, var_smtpd_tls_auth_only;
char *var_smtpd_sasl_security_options, *var_smtpd_sasl_service, *var_smtpd_sender_login_maps;
long long var_smtpd_auth_failure_limit;
uid_t var_owner_uid = (uid_t)-1;
gid_t var_owner_gid = (gid_t)-1;

/* PT_RAW: kept unexpanded; its $names are a delivery agent's (forward_path's $home). */
/* PT_SET: a list (commas or spaces) of words, each one of the choices, or empty. */
enum param_type { PT_STR, PT_INT, PT_TIME, PT_BOOL, PT_ENUM, PT_RAW, PT_SET };

struct param {
    const char *name;
    enum param_type type;
    const char *def;     /* raw default; NULL: computed by compute() */
    void *var;           /* char **, long long * or bool * */
    long long min, max;  /* PT_INT, PT_TIME (seconds) */
    char unit;           /* PT_TIME default unit */
    const char *choices; /* PT_ENUM, PT_SET: "a|b|c" */
    const char *(*compute)(void);
};

static const char *compute_myhostname(void);
static const char *compute_mydomain(void);
static const char *compute_config_dir(void);

#define STR(n, d, v)                                                                               \
    {                                                                                              \
        n, PT_STR, d, v, 0, 0, 0, NULL, NULL                                                       \
    }
#define INT(n, d, v, lo, hi)                                                                       \
    {                                                                                              \
        n, PT_INT, d, v, lo, hi, 0, NULL, NULL                                                     \
    }
#define TIME(n, d, v, u, lo, hi)                                                                   \
    {                                                                                              \
        n, PT_TIME, d, v, lo, hi, u, NULL, NULL                                                    \
    }
#define BOOL(n, d, v)                                                                              \
    {                                                                                              \
        n, PT_BOOL, d, v, 0, 0, 0, NULL, NULL                                                      \
    }
#define ENUM(n, d, v, c)                                                                           \
    {                                                                                              \
        n, PT_ENUM, d, v, 0, 0, 0, c, NULL                                                         \
    }
#define SET(n, d, v, c)                                                                            \
    {                                                                                              \
        n, PT_SET, d, v, 0, 0, 0, c, NULL                                                          \
    }
#define RAW(n, d, v)                                                                               \
    {                                                                                              \
        n, PT_RAW, d, v, 0, 0, 0, NULL, NULL                                                       \
    }
#define COMPUTED(n, v, f)                                                                          \
    {                                                                                              \
        n, PT_STR, NULL, v, 0, 0, 0, NULL, f                                                       \
    }

static const struct param params[] = {
    COMPUTED("config_directory", &var_config_dir, compute_config_dir),
    STR("queue_directory", "/var/spool/postern", &var_queue_dir),
    STR("daemon_directory", POSTERN_DAEMON_DIR, &var_daemon_dir),
    STR("command_directory", POSTERN_COMMAND_DIR, &var_command_dir),
    STR("data_directory", "/var/lib/postern", &var_data_dir),
    STR("mail_owner", "postern", &var_mail_owner),
    STR("setgid_group", "postdrop", &var_setgid_group),
    STR("mail_name", "Postern", &var_mail_name),
    COMPUTED("myhostname", &var_myhostname, compute_myhostname),
    COMPUTED("mydomain", &var_mydomain, compute_mydomain),
    STR("myorigin", "$myhostname", &var_myorigin),
    STR("mydestination", "$myhostname, localhost.$mydomain, localhost", &var_mydestination),
    STR("mynetworks", "127.0.0.0/8 [::1]/128", &var_mynetworks),
    STR("inet_interfaces", "all", &var_inet_interfaces),
    ENUM("inet_protocols", "all", &var_inet_protocols, "all|ipv4|ipv6"),
    STR("relay_domains", "", &var_relay_domains),
    STR("relayhost", "", &var_relayhost),
    STR("transport_maps", "", &var_transport_maps),
    STR("default_transport", "smtp", &var_default_transport),
    STR("relay_transport", "smtp", &var_relay_transport),
    STR("maillog_file", "", &var_maillog_file),
    STR("syslog_name", "postern", &var_syslog_name),
    STR("recipient_delimiter", "", &var_recipient_delimiter),
    STR("home_mailbox", "", &var_home_mailbox),
    STR("mail_spool_directory", "/var/mail", &var_mail_spool_dir),
    INT("message_size_limit", "10240000", &var_message_size_limit, 0, 1LL << 40),
    INT("line_length_limit", "2048", &var_line_length_limit, 512, 1 << 20),
    STR("smtpd_banner", "$myhostname ESMTP $mail_name", &var_smtpd_banner),
    /* Shorter under stress (server.h), with Postfix's defaults. */
    TIME("smtpd_timeout", "${stress?10}${stress:300}s", &var_smtpd_timeout, 's', 1, 86400),
    INT("smtpd_recipient_limit", "1000", &var_smtpd_recipient_limit, 1, 1000000),
    INT("smtpd_soft_error_limit", "10", &var_smtpd_soft_error_limit, 0, 1000),
    INT("smtpd_hard_error_limit", "${stress?1}${stress:20}", &var_smtpd_hard_error_limit, 1, 1000),
    TIME("smtpd_error_sleep_time", "1s", &var_smtpd_error_sleep_time, 's', 0, 600),
    ENUM("smtpd_forbid_bare_newline", "reject", &var_smtpd_forbid_bare_newline, "reject|normalize"),
    STR("smtpd_forbid_bare_newline_exclusions", "$mynetworks",
        &var_smtpd_forbid_bare_newline_exclusions),
    BOOL("smtpd_forbid_unauth_pipelining", "yes", &var_smtpd_forbid_unauth_pipelining),
    TIME("smtpd_session_time_limit", "3600s", &var_smtpd_session_time_limit, 's', 1, 86400),
    STR("proxy_interfaces", "", &var_proxy_interfaces),
    BOOL("smtpd_peername_lookup", "yes", &var_smtpd_peername_lookup),
    BOOL("smtpd_helo_required", "no", &var_smtpd_helo_required),
    BOOL("disable_vrfy_command", "no", &var_disable_vrfy_command),
    /*
     * smtpd's restriction lists (restrict_list.h) and their reply codes, with
     * Postfix's names and defaults but one: the relay list ends in
     * reject_unauth_destination (554, as Postern always answered), where
     * Postfix's defer_unauth_destination would keep relay attempts queued
     * at the client for days.
     */
    STR("smtpd_client_restrictions", "", &var_smtpd_client_restrictions),
    STR("smtpd_helo_restrictions", "", &var_smtpd_helo_restrictions),
    STR("smtpd_sender_restrictions", "", &var_smtpd_sender_restrictions),
    STR("smtpd_relay_restrictions",
        "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        &var_smtpd_relay_restrictions),
    STR("smtpd_recipient_restrictions", "", &var_smtpd_recipient_restrictions),
    STR("smtpd_data_restrictions", "", &var_smtpd_data_restrictions),
    BOOL("smtpd_delay_reject", "yes", &var_smtpd_delay_reject),
    BOOL("smtpd_reject_unlisted_recipient", "yes", &var_smtpd_reject_unlisted_recipient),
    STR("smtpd_null_access_lookup_key", "<>", &var_smtpd_null_access_lookup_key),
    STR("parent_domain_matches_subdomains",
        "debug_peer_list, fast_flush_domains, mynetworks, permit_mx_backup_networks, "
        "qmqpd_authorized_clients, relay_domains, smtpd_access_maps",
        &var_parent_domain_matches_subdomains),
    INT("reject_code", "554", &var_reject_code, 400, 599),
    INT("defer_code", "450", &var_defer_code, 400, 499),
    INT("access_map_reject_code", "554", &var_access_map_reject_code, 400, 599),
    INT("access_map_defer_code", "450", &var_access_map_defer_code, 400, 499),
    INT("relay_domains_reject_code", "554", &var_relay_domains_reject_code, 400, 599),
    INT("unknown_address_reject_code", "450", &var_unknown_address_reject_code, 400, 599),
    INT("non_fqdn_reject_code", "504", &var_non_fqdn_reject_code, 400, 599),
    INT("invalid_hostname_reject_code", "501", &var_invalid_hostname_reject_code, 400, 599),
    INT("maps_rbl_reject_code", "554", &var_maps_rbl_reject_code, 400, 599),
    /* SMTP AUTH (smtpd_sasl.c), with Postfix's names and defaults. */
    BOOL("smtpd_sasl_auth_enable", "no", &var_smtpd_sasl_auth_enable),
    BOOL("smtpd_tls_auth_only", "yes", &var_smtpd_tls_auth_only),
    SET("smtpd_sasl_security_options", "noanonymous", &var_smtpd_sasl_security_options,
        SMTPD_SASL_SECURITY_CHOICES),
    STR("smtpd_sasl_service", "smtp", &var_smtpd_sasl_service),
    STR("smtpd_sender_login_maps", "", &var_smtpd_sender_login_maps),
    /* Postern's: failed AUTH commands a session may make before it is ended. */
    INT("smtpd_auth_failure_limit", "10", &var_smtpd_auth_failure_limit, 1, 1000),
    INT("max_use", "100", &var_max_use, 1, 1000000000),
    TIME("max_idle", "100s", &var_max_idle, 's', 1, 86400),
    INT("default_process_limit", "100", &var_default_process_limit, 1, 100000),
    TIME("ipc_timeout", "3600s", &var_ipc_timeout, 's', 1, 86400),
    TIME("queue_run_delay", "300s", &var_queue_run_delay, 's', 1, 86400),
    TIME("minimal_backoff_time", "300s", &var_minimal_backoff_time, 's', 1, 86400 * 30),
    TIME("maximal_backoff_time", "4000s", &var_maximal_backoff_time, 's', 1, 86400 * 30),
    TIME("maximal_queue_lifetime", "5d", &var_maximal_queue_lifetime, 'd', 0, 86400 * 100),
    INT("default_destination_concurrency_limit", "20", &var_default_destination_concurrency_limit,
        1, 1000),
    INT("qmgr_message_active_limit", "20000", &var_qmgr_message_active_limit, 1, 10000000),
    STR("dns_resolver_conf", "", &var_dns_resolver_conf),
    INT("smtp_tcp_port", "25", &var_smtp_tcp_port, 1, 65535),
    /* The outbound client (smtp/), with Postfix's names and defaults. */
    TIME("smtp_connect_timeout", "30s", &var_smtp_connect_timeout, 's', 1, 3600),
    TIME("smtp_helo_timeout", "300s", &var_smtp_helo_timeout, 's', 1, 3600),
    TIME("smtp_starttls_timeout", "300s", &var_smtp_starttls_timeout, 's', 1, 3600),
    TIME("smtp_mail_timeout", "300s", &var_smtp_mail_timeout, 's', 1, 3600),
    TIME("smtp_rcpt_timeout", "300s", &var_smtp_rcpt_timeout, 's', 1, 3600),
    TIME("smtp_data_init_timeout", "120s", &var_smtp_data_init_timeout, 's', 1, 3600),
    TIME("smtp_data_xfer_timeout", "180s", &var_smtp_data_xfer_timeout, 's', 1, 3600),
    TIME("smtp_data_done_timeout", "600s", &var_smtp_data_done_timeout, 's', 1, 3600),
    TIME("smtp_quit_timeout", "300s", &var_smtp_quit_timeout, 's', 1, 3600),
    STR("smtp_helo_name", "$myhostname", &var_smtp_helo_name),
    STR("smtp_bind_address", "", &var_smtp_bind_address),
    STR("smtp_bind_address6", "", &var_smtp_bind_address6),
    ENUM("smtp_tls_security_level", "may", &var_smtp_tls_security_level,
         "none|may|encrypt|verify|secure"),
    STR("smtp_tls_CAfile", "", &var_smtp_tls_CAfile),
    STR("smtp_tls_CApath", "", &var_smtp_tls_CApath),
    STR("smtp_tls_policy_maps", "", &var_smtp_tls_policy_maps),
    INT("smtp_mx_address_limit", "5", &var_smtp_mx_address_limit, 0, 1000),
    INT("smtp_mx_session_limit", "2", &var_smtp_mx_session_limit, 0, 1000),
    BOOL("smtp_skip_5xx_greeting", "yes", &var_smtp_skip_5xx_greeting),
    BOOL("smtp_connection_cache_on_demand", "yes", &var_smtp_connection_cache_on_demand),
    TIME("smtp_connection_cache_time_limit", "2s", &var_smtp_connection_cache_time_limit, 's', 1,
         3600),
    TIME("smtp_connection_reuse_time_limit", "300s", &var_smtp_connection_reuse_time_limit, 's', 1,
         86400),
    TIME("smtp_rset_timeout", "20s", &var_smtp_rset_timeout, 's', 1, 3600),
    BOOL("smtp_use_bdat", "yes", &var_smtp_use_bdat),
    BOOL("disable_mime_output_conversion", "no", &var_disable_mime_output_conversion),
    BOOL("smtp_sasl_auth_enable", "no", &var_smtp_sasl_auth_enable),
    STR("smtp_sasl_password_maps", "", &var_smtp_sasl_password_maps),
    SET("smtp_sasl_security_options", "noplaintext, noanonymous", &var_smtp_sasl_security_options,
        SMTPD_SASL_SECURITY_CHOICES),
    TIME("daemon_timeout", "18000s", &var_daemon_timeout, 's', 1, 86400 * 7),
    INT("deliver_lock_attempts", "20", &var_deliver_lock_attempts, 1, 1000),
    TIME("deliver_lock_delay", "1s", &var_deliver_lock_delay, 's', 1, 3600),
    /* Delivery to a command (pipe_cmd.h), with Postfix's names and defaults. */
    TIME("command_time_limit", "1000s", &var_command_time_limit, 's', 1, 86400 * 7),
    STR("command_expansion_filter",
        "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        &var_command_expansion_filter),
    TIME("stale_lock_time", "500s", &var_stale_lock_time, 's', 1, 86400),
    /* Set by master (-o stress=yes) when a service is at its process limit. */
    STR("stress", "", &var_stress),
    ENUM("default_database_type", "hash", &var_default_database_type, "hash|btree"),
    /*
     * Accounts: the auth service (auth/) and postern-account.  The password
     * table is texthash: by default, one file that the service reads whole
     * and re-reads when it is replaced (Dovecot's passwd-file): a change is
     * one rename, with no .db to get out of step, and no second file of
     * hashes to guard.
     */
    STR("auth_owner", "postern-auth", &var_auth_owner),
    STR("auth_password_maps", "texthash:$config_directory/passwd", &var_auth_password_maps),
    TIME("auth_failure_delay", "2s", &var_auth_failure_delay, 's', 0, 60),
    INT("auth_client_failure_limit", "10", &var_auth_client_failure_limit, 0, 1000000),
    TIME("auth_client_failure_window", "10m", &var_auth_client_failure_window, 's', 1, 86400),
    TIME("auth_client_block_time", "10m", &var_auth_client_block_time, 's', 1, 7 * 86400),
    /*
     * Per-client limits across smtpd processes, counted by anvil (anvil/,
     * smtpd_limit.c), with Postfix's names and defaults; 0 is no limit.
     */
    TIME("anvil_rate_time_unit", "60s", &var_anvil_rate_time_unit, 's', 1, 86400),
    TIME("anvil_status_update_time", "600s", &var_anvil_status_update_time, 's', 1, 86400),
    INT("smtpd_client_connection_count_limit", "50", &var_smtpd_client_connection_count_limit, 0,
        1000000),
    INT("smtpd_client_connection_rate_limit", "0", &var_smtpd_client_connection_rate_limit, 0,
        1000000000),
    INT("smtpd_client_message_rate_limit", "0", &var_smtpd_client_message_rate_limit, 0,
        1000000000),
    INT("smtpd_client_recipient_rate_limit", "0", &var_smtpd_client_recipient_rate_limit, 0,
        1000000000),
    STR("smtpd_client_event_limit_exceptions", "$mynetworks",
        &var_smtpd_client_event_limit_exceptions),
    /* Under stress smtpd_timeout bounds a whole command line, not each read (smtpd.c). */
    BOOL("smtpd_per_record_deadline", "${stress?yes}${stress:no}", &var_smtpd_per_record_deadline),
    /* local delivery: aliases, .forward, commands and files, as Postfix's local(8) */
    STR("alias_maps", "hash:/etc/aliases", &var_alias_maps),
    /* What proxymap serves: every table smtpd's parameters may name, not the password table. */
    STR("proxy_read_maps",
        "$alias_maps $virtual_alias_maps $virtual_alias_domains $virtual_mailbox_maps "
        "$virtual_mailbox_domains $virtual_uid_maps $virtual_gid_maps $mydestination "
        "$relay_domains $smtpd_sender_login_maps $smtpd_client_restrictions "
        "$smtpd_helo_restrictions $smtpd_sender_restrictions $smtpd_relay_restrictions "
        "$smtpd_recipient_restrictions $smtpd_data_restrictions $transport_maps "
        "$smtp_tls_policy_maps",
        &var_proxy_read_maps),
    STR("alias_database", "hash:/etc/aliases", &var_alias_database),
    SET("allow_mail_to_commands", "alias, forward", &var_allow_mail_to_commands,
        "alias|forward|include"),
    SET("allow_mail_to_files", "alias, forward", &var_allow_mail_to_files, "alias|forward|include"),
    STR("default_privs", "nobody", &var_default_privs),
    RAW("forward_path", "$home/.forward${recipient_delimiter}${extension}, $home/.forward",
        &var_forward_path),
    /* mail to user+Folder goes into the Maildir++ folder .Folder when it exists */
    BOOL("local_extension_folders", "no", &var_local_extension_folders),
    /* Virtual domains, with Postfix's names and defaults (virtual(5), virtual(8)). */
    STR("virtual_alias_maps", "", &var_virtual_alias_maps),
    STR("virtual_alias_domains", "$virtual_alias_maps", &var_virtual_alias_domains),
    INT("virtual_alias_expansion_limit", "1000", &var_virtual_alias_expansion_limit, 1, 1000000),
    INT("virtual_alias_recursion_limit", "1000", &var_virtual_alias_recursion_limit, 1, 1000000),
    STR("virtual_mailbox_maps", "", &var_virtual_mailbox_maps),
    STR("virtual_mailbox_domains", "$virtual_mailbox_maps", &var_virtual_mailbox_domains),
    STR("virtual_mailbox_base", "", &var_virtual_mailbox_base),
    STR("virtual_uid_maps", "", &var_virtual_uid_maps),
    STR("virtual_gid_maps", "", &var_virtual_gid_maps),
    INT("virtual_minimum_uid", "100", &var_virtual_minimum_uid, 1, 4294967294LL),
    /* Postern's: a mailbox's quota in bytes (0: none; a user's own "quota=" in
     * virtual_mailbox_maps wins), and how long an over-quota message is
     * deferred (4.2.2) before it bounces (5.2.2). */
    INT("virtual_mailbox_quota", "0", &var_virtual_mailbox_quota, 0, 1LL << 50),
    TIME("virtual_quota_defer_time", "1d", &var_virtual_quota_defer_time, 'd', 0, 86400 * 100),
    /*
     * smtpd's TLS (tls_server.h), Postfix's names.  Postern's defaults:
     * TLS 1.2 and newer for both lists, Mozilla's "intermediate" ciphers
     * for TLS 1.2, the summary line logged (loglevel 1), and the session
     * timeout as the lifetime of a shared ticket key (tls_ticket.h).
     */
    ENUM("smtpd_tls_security_level", "none", &var_smtpd_tls_security_level, "none|may|encrypt"),
    STR("smtpd_tls_cert_file", "", &var_smtpd_tls_cert_file),
    STR("smtpd_tls_key_file", "$smtpd_tls_cert_file", &var_smtpd_tls_key_file),
    STR("smtpd_tls_eccert_file", "", &var_smtpd_tls_eccert_file),
    STR("smtpd_tls_eckey_file", "$smtpd_tls_eccert_file", &var_smtpd_tls_eckey_file),
    STR("smtpd_tls_chain_files", "", &var_smtpd_tls_chain_files),
    STR("smtpd_tls_protocols", ">=TLSv1.2", &var_smtpd_tls_protocols),
    STR("smtpd_tls_mandatory_protocols", ">=TLSv1.2", &var_smtpd_tls_mandatory_protocols),
    STR("tls_medium_cipherlist",
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305",
        &var_tls_medium_cipherlist),
    STR("tls_server_sni_maps", "", &var_tls_server_sni_maps),
    BOOL("smtpd_tls_wrappermode", "no", &var_smtpd_tls_wrappermode),
    BOOL("smtpd_tls_received_header", "no", &var_smtpd_tls_received_header),
    INT("smtpd_tls_loglevel", "1", &var_smtpd_tls_loglevel, 0, 4),
    TIME("smtpd_tls_session_cache_timeout", "3600s", &var_smtpd_tls_session_cache_timeout, 's', 60,
         8 * 86400),
};

static struct conf main_cf;               /* raw entries from main.cf and overrides */
static char *param_text[COUNTOF(params)]; /* expanded values */
static char *computed_cache[COUNTOF(params)];
static const char *load_config_dir;
static char *load_main_cf; /* read this instead of config_dir/main.cf */
static bool load_lenient;  /* skip unknown names, use defaults for bad values */

static const char *compute_config_dir(void)
{
    return load_config_dir ? load_config_dir : POSTERN_CONFIG_DIR;
}

static const char *compute_myhostname(void)
{
    static char name[256];

    if (gethostname(name, sizeof(name) - 32) < 0 || name[0] == 0)
        str_copy(name, "localhost", sizeof(name));
    name[sizeof(name) - 33] = 0;
    /* Postfix insists on a fully-qualified name; so do we. */
    if (strchr(name, '.') == NULL)
        memcpy(name + strlen(name), ".localdomain", sizeof(".localdomain"));
    return name;
}

static const char *compute_mydomain(void)
{
    const char *host = mail_param_value("myhostname");
    const char *dot = host ? strchr(host, '.') : NULL;

    return dot && dot[1] ? dot + 1 : "localdomain";
}

static const struct param *param_find(const char *name, size_t *index_r)
{
    size_t i;

    for (i = 0; i < COUNTOF(params); i++) {
        if (strcmp(params[i].name, name) == 0) {
            if (index_r)
                *index_r = i;
            return params + i;
        }
    }
    return NULL;
}

static const char *param_raw(size_t i)
{
    const struct conf_entry *e = conf_find(&main_cf, params[i].name);

    if (e)
        return e->value;
    if (params[i].def)
        return params[i].def;
    if (computed_cache[i] == NULL)
        computed_cache[i] = xstrdup(params[i].compute());
    return computed_cache[i];
}

static const char *param_lookup(const char *name, void *ctx UNUSED)
{
    size_t i;

    return param_find(name, &i) ? param_raw(i) : NULL;
}

/* Parse a time value "90", "5m", "2d" into seconds. */
static int param_time(const char *s, char unit, long long *secs_r)
{
    char *end;
    long long v, mul;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno)
        return -1;
    if (*end && end[1])
        return -1;
    switch (*end ? *end : unit) {
    case 's':
        mul = 1;
        break;
    case 'm':
        mul = 60;
        break;
    case 'h':
        mul = 3600;
        break;
    case 'd':
        mul = 86400;
        break;
    case 'w':
        mul = 7 * 86400;
        break;
    default:
        return -1;
    }
    if (v > LLONG_MAX / mul)
        return -1;
    *secs_r = v * mul;
    return 0;
}

/* Position of val among choices ("a|b|c"), ignoring case; -1 if absent. */
static int param_choice_index(const char *choices, const char *val)
{
    size_t len = strlen(val);
    const char *p = choices;
    int i;

    for (i = 0; *p; i++) {
        size_t n = strcspn(p, "|");

        if (n == len && strncasecmp(p, val, n) == 0)
            return i;
        p += n + (p[n] == '|');
    }
    return -1;
}

static bool param_choice_ok(const char *choices, const char *val)
{
    return param_choice_index(choices, val) >= 0;
}

unsigned mail_param_set_bits(const char *value, const char *choices)
{
    char **words = str_split_list(value, NULL), **w;
    unsigned bits = 0;
    int i;

    for (w = words; *w; w++)
        if ((i = param_choice_index(choices, *w)) >= 0)
            bits |= 1U << i;
    str_list_free(words);
    return bits;
}

/* yes/true 1, no/false 0; -1 for anything else. */
static int param_bool_value(const char *val, long long *value_r)
{
    if (str_eq_nocase(val, "yes") || str_eq_nocase(val, "true"))
        *value_r = 1;
    else if (str_eq_nocase(val, "no") || str_eq_nocase(val, "false"))
        *value_r = 0;
    else
        return -1;
    return 0;
}

/* Convert one expanded value into its variable; -1 with *why on a bad value. */
static int param_assign(const struct param *p, const char *val, const char **why)
{
    long long v;

    switch (p->type) {
    case PT_STR:
    case PT_RAW:
        free(*(char **)p->var);
        *(char **)p->var = xstrdup(val);
        return 0;
    case PT_ENUM:
        if (!param_choice_ok(p->choices, val)) {
            *why = p->choices;
            return -1;
        }
        free(*(char **)p->var);
        *(char **)p->var = xstrdup(val);
        str_lower(*(char **)p->var);
        return 0;
    case PT_SET: {
        size_t n, i;
        char **words = str_split_list(val, &n);
        bool ok = true;

        for (i = 0; i < n && ok; i++)
            ok = param_choice_ok(p->choices, words[i]);
        str_list_free(words);
        if (!ok) {
            *why = p->choices;
            return -1;
        }
        free(*(char **)p->var);
        *(char **)p->var = xstrdup(val);
        return 0;
    }
    case PT_BOOL:
        if (param_bool_value(val, &v) < 0) {
            *why = "expected yes or no";
            return -1;
        }
        *(bool *)p->var = v != 0;
        return 0;
    case PT_INT:
        if (str_to_ll(val, p->min, p->max, &v) < 0) {
            *why = "expected a whole number in range";
            return -1;
        }
        *(long long *)p->var = v;
        return 0;
    case PT_TIME:
        if (param_time(val, p->unit, &v) < 0 || v < p->min || v > p->max) {
            *why = "expected a time in range, like 30s, 5m, 2h, 1d";
            return -1;
        }
        *(long long *)p->var = v;
        return 0;
    }
    return -1;
}

static char *param_error(const char *name, const char *what)
{
    const struct conf_entry *e = conf_find(&main_cf, name);
    char *msg;

    if (e && e->line > 0)
        msg = xasprintf("%s, line %d: %s", e->file, e->line, what);
    else if (e)
        msg = xasprintf("%s: %s", e->file, what);
    else
        msg = xasprintf("default value of %s: %s", name, what);
    return msg;
}

static void mail_conf_reset(void)
{
    size_t i;

    conf_free(&main_cf);
    for (i = 0; i < COUNTOF(params); i++) {
        free(param_text[i]);
        param_text[i] = NULL;
        free(computed_cache[i]);
        computed_cache[i] = NULL;
    }
}

static int mail_conf_overrides(char *const *overrides, char **error_r)
{
    for (; overrides && *overrides; overrides++) {
        const char *eq = strchr(*overrides, '=');
        char *name;

        if (eq == NULL || eq == *overrides) {
            *error_r = xasprintf("override \"%s\": expected name=value", *overrides);
            return -1;
        }
        name = xstrndup(*overrides, (size_t)(eq - *overrides));
        if (param_find(name, NULL) == NULL) {
            *error_r = xasprintf("override \"%s\": unknown parameter \"%s\"", *overrides, name);
            free(name);
            return -1;
        }
        conf_set(&main_cf, name, eq + 1, "master.cf -o", 0);
        free(name);
    }
    return 0;
}

/* Lenient loading: the value of parameter i, or its default if that fails. */
static int mail_conf_lenient_value(size_t i, struct buf *val)
{
    const struct param *p = params + i;
    const char *why;
    char *xerr = NULL;

    if (conf_expand(param_raw(i), param_lookup, NULL, val, &xerr) == 0 &&
        param_assign(p, buf_str(val), &why) == 0)
        return 0;
    free(xerr);
    buf_reset(val);
    xerr = NULL;
    if (conf_expand(mail_param_default(p->name), param_lookup, NULL, val, &xerr) == 0 &&
        param_assign(p, buf_str(val), &why) == 0)
        return 0;
    free(xerr);
    return -1;
}

int mail_conf_load(const char *config_dir, char *const *overrides, char **error_r)
{
    char *path;
    size_t i;
    struct buf val;

    mail_conf_reset();
    /* "proxy:type:name" is a table kind wherever main.cf is read. */
    dict_register_proxy(&dict_proxy_ops);
    load_config_dir = mail_conf_dir(config_dir);
    path = load_main_cf ? xstrdup(load_main_cf) : xasprintf("%s/main.cf", load_config_dir);
    if (conf_read_file(&main_cf, path, error_r) < 0) {
        free(path);
        return -1;
    }
    free(path);
    for (i = 0; i < main_cf.n; i++) {
        if (param_find(main_cf.entries[i].name, NULL) == NULL && !load_lenient) {
            *error_r = xasprintf("%s, line %d: unknown parameter \"%s\"", main_cf.entries[i].file,
                                 main_cf.entries[i].line, main_cf.entries[i].name);
            return -1;
        }
    }
    if (mail_conf_overrides(overrides, error_r) < 0)
        return -1;
    buf_init(&val, CONF_LINE_MAX);
    for (i = 0; i < COUNTOF(params); i++) {
        char *xerr = NULL;
        const char *why = NULL;

        buf_reset(&val);
        if (load_lenient && mail_conf_lenient_value(i, &val) == 0) {
            free(param_text[i]);
            param_text[i] = xstrdup(buf_str(&val));
            continue;
        }
        if (params[i].type == PT_RAW)
            (void)buf_puts(&val, param_raw(i));
        else if (conf_expand(param_raw(i), param_lookup, NULL, &val, &xerr) < 0) {
            *error_r = param_error(params[i].name, xerr);
            free(xerr);
            buf_free(&val);
            return -1;
        }
        if (param_assign(params + i, buf_str(&val), &why) < 0) {
            char *what =
                xasprintf("bad value \"%s\" for %s: %s", buf_str(&val), params[i].name, why);

            *error_r = param_error(params[i].name, what);
            free(what);
            buf_free(&val);
            return -1;
        }
        free(param_text[i]);
        param_text[i] = xstrdup(buf_str(&val));
    }
    buf_free(&val);
    return 0;
}

int mail_owner_lookup(char **error_r)
{
    struct passwd *pw;

    errno = 0;
    if ((pw = getpwnam(var_mail_owner)) == NULL) {
        *error_r = xasprintf("mail_owner: unknown user \"%s\"", var_mail_owner);
        return -1;
    }
    if (pw->pw_uid == 0) {
        *error_r = xasprintf("mail_owner: \"%s\" has user ID 0; use an unprivileged account",
                             var_mail_owner);
        return -1;
    }
    var_owner_uid = pw->pw_uid;
    var_owner_gid = pw->pw_gid;
    return 0;
}

int mail_conf_load_lenient(const char *config_dir)
{
    char *err;
    int ret;

    load_lenient = true;
    ret = mail_conf_load(config_dir, NULL, &err);
    load_lenient = false;
    if (ret < 0)
        free(err);
    return ret;
}

void mail_conf_use_file(const char *path)
{
    free(load_main_cf);
    load_main_cf = path ? xstrdup(path) : NULL;
}

void mail_conf_load_or_die(const char *config_dir, char *const *overrides)
{
    char *err;

    if (mail_conf_load(config_dir, overrides, &err) < 0)
        msg_fatal("%s", err);
}

const char *mail_conf_dir(const char *option)
{
    const char *env;

    if (option && *option)
        return option;
    if ((env = getenv("POSTERN_CONFIG_DIR")) != NULL && *env)
        return env;
    return POSTERN_CONFIG_DIR;
}

const char *mail_param_name(size_t i)
{
    return i < COUNTOF(params) ? params[i].name : NULL;
}

const char *mail_param_value(const char *name)
{
    size_t i;
    struct buf val;
    char *err;

    if (param_find(name, &i) == NULL)
        return NULL;
    if (param_text[i])
        return param_text[i];
    /* not loaded yet (e.g. while computing a default): expand on the fly */
    buf_init(&val, CONF_LINE_MAX);
    if (conf_expand(param_raw(i), param_lookup, NULL, &val, &err) < 0) {
        free(err);
        buf_free(&val);
        return "";
    }
    param_text[i] = buf_steal(&val);
    return param_text[i];
}

/* As param_lookup(), but with stress=yes. */
static const char *param_lookup_stressed(const char *name, void *ctx)
{
    return strcmp(name, "stress") == 0 ? "yes" : param_lookup(name, ctx);
}

int mail_param_stress_value(const char *name, long long *value_r)
{
    const struct param *p;
    struct buf val;
    char *err = NULL;
    size_t i;
    int ret = -1;

    if ((p = param_find(name, &i)) == NULL ||
        (p->type != PT_INT && p->type != PT_TIME && p->type != PT_BOOL))
        return -1;
    buf_init(&val, CONF_LINE_MAX);
    if (conf_expand(param_raw(i), param_lookup_stressed, NULL, &val, &err) == 0) {
        if (p->type == PT_TIME)
            ret = param_time(buf_str(&val), p->unit, value_r);
        else if (p->type == PT_BOOL)
            ret = param_bool_value(buf_str(&val), value_r);
        else
            ret = str_to_ll(buf_str(&val), p->min, p->max, value_r);
        if (ret == 0 && p->type != PT_BOOL && (*value_r < p->min || *value_r > p->max))
            ret = -1;
    }
    free(err);
    buf_free(&val);
    return ret;
}

const char *mail_param_default(const char *name)
{
    size_t i;

    if (param_find(name, &i) == NULL)
        return NULL;
    if (params[i].def)
        return params[i].def;
    if (computed_cache[i] == NULL)
        computed_cache[i] = xstrdup(params[i].compute());
    return computed_cache[i];
}

bool mail_param_is_set(const char *name)
{
    return conf_find(&main_cf, name) != NULL;
}
