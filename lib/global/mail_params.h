/*
 * mail_params.h - the table of every main.cf parameter Postern knows, with
 * Postfix's names and defaults, and the typed variables that hold the
 * effective values once mail_conf_load() has run.
 *
 * An unknown name or a value of the wrong type is an error that names the
 * file and line; nothing silently falls back to a default.
 */
#ifndef POSTERN_MAIL_PARAMS_H
#define POSTERN_MAIL_PARAMS_H

#include "sys_defs.h"

#ifndef POSTERN_CONFIG_DIR
#define POSTERN_CONFIG_DIR "/etc/postern"
#endif
#ifndef POSTERN_DAEMON_DIR
#define POSTERN_DAEMON_DIR "/usr/lib/postern"
#endif
#ifndef POSTERN_COMMAND_DIR
#define POSTERN_COMMAND_DIR "/usr/sbin"
#endif
#define POSTERN_VERSION "0.1.0"

/* Effective values, valid after mail_conf_load(). */
extern char *var_config_dir;
extern char *var_queue_dir;
extern char *var_daemon_dir;
extern char *var_command_dir;
extern char *var_data_dir;
extern char *var_mail_owner;
extern char *var_setgid_group;
extern char *var_mail_name;
extern char *var_myhostname;
extern char *var_mydomain;
extern char *var_myorigin;
extern char *var_mydestination;
extern char *var_mynetworks;
extern char *var_inet_interfaces;
extern char *var_inet_protocols;
extern char *var_relay_domains;
extern char *var_relayhost;
extern char *var_maillog_file;
extern char *var_syslog_name;
extern char *var_recipient_delimiter;
extern char *var_home_mailbox;
extern char *var_mail_spool_dir;
extern long long var_message_size_limit;
extern long long var_line_length_limit;
extern char *var_smtpd_banner;
extern long long var_smtpd_timeout;
extern long long var_smtpd_recipient_limit;
extern long long var_smtpd_soft_error_limit;
extern long long var_smtpd_hard_error_limit;
extern long long var_smtpd_error_sleep_time;
extern char *var_smtpd_forbid_bare_newline;
extern char *var_smtpd_forbid_bare_newline_exclusions; /* clients exempt from it (CIDR) */
extern bool var_smtpd_forbid_unauth_pipelining;
extern long long var_smtpd_session_time_limit;
extern char *var_proxy_interfaces;
extern bool var_smtpd_peername_lookup;
extern bool var_smtpd_helo_required;
extern bool var_disable_vrfy_command;
/* smtpd's restriction lists (restrict_list.h) and their reply codes */
extern char *var_smtpd_client_restrictions;
extern char *var_smtpd_helo_restrictions;
extern char *var_smtpd_sender_restrictions;
extern char *var_smtpd_relay_restrictions;
extern char *var_smtpd_recipient_restrictions;
extern char *var_smtpd_data_restrictions;
extern char *var_parent_domain_matches_subdomains;
extern char *var_smtpd_null_access_lookup_key;
extern bool var_smtpd_delay_reject;
extern bool var_smtpd_reject_unlisted_recipient;
extern long long var_reject_code;
extern long long var_defer_code;
extern long long var_access_map_reject_code;
extern long long var_access_map_defer_code;
extern long long var_relay_domains_reject_code;
extern long long var_unknown_address_reject_code;
extern long long var_non_fqdn_reject_code;
extern long long var_invalid_hostname_reject_code;
extern long long var_maps_rbl_reject_code;
extern bool var_smtpd_sasl_auth_enable;
extern bool var_smtpd_tls_auth_only;
extern char *var_smtpd_sasl_security_options;
/* Its words, in the order of mail_param_set_bits()'s bits. */
#define SMTPD_SASL_SECURITY_CHOICES                                                                \
    "noanonymous|noplaintext|noactive|nodictionary|mutual_auth|forward_secrecy"
#define SMTPD_SASL_NOPLAINTEXT (1u << 1)
extern char *var_smtpd_sasl_service;
extern char *var_smtpd_sender_login_maps;
extern char *var_proxy_read_maps, *var_transport_maps, *var_default_transport;
extern char *var_relay_transport;
extern long long var_smtpd_auth_failure_limit;
extern long long var_max_use;
extern long long var_max_idle;
extern long long var_default_process_limit;
extern long long var_ipc_timeout;
extern long long var_queue_run_delay;
extern long long var_minimal_backoff_time;
extern long long var_maximal_backoff_time;
extern long long var_maximal_queue_lifetime;
extern long long var_default_destination_concurrency_limit;
extern long long var_qmgr_message_active_limit;
extern char *var_dns_resolver_conf;
extern long long var_smtp_tcp_port;
extern long long var_smtp_connect_timeout, var_smtp_helo_timeout, var_smtp_starttls_timeout;
extern long long var_smtp_mail_timeout, var_smtp_rcpt_timeout, var_smtp_data_init_timeout;
extern long long var_smtp_data_xfer_timeout, var_smtp_data_done_timeout, var_smtp_quit_timeout;
extern long long var_smtp_mx_address_limit, var_smtp_mx_session_limit;
extern bool var_smtp_skip_5xx_greeting, var_smtp_sasl_auth_enable;
extern bool var_smtp_connection_cache_on_demand, var_smtp_use_bdat;
extern bool var_disable_mime_output_conversion;
extern long long var_smtp_connection_cache_time_limit, var_smtp_connection_reuse_time_limit;
extern long long var_smtp_rset_timeout;
extern char *var_smtp_sasl_password_maps, *var_smtp_sasl_security_options;
extern char *var_smtp_helo_name, *var_smtp_tls_security_level;
extern char *var_smtp_bind_address, *var_smtp_bind_address6;
extern char *var_smtp_tls_CAfile, *var_smtp_tls_CApath, *var_smtp_tls_policy_maps;
extern long long var_daemon_timeout;
extern long long var_deliver_lock_attempts;
extern long long var_deliver_lock_delay;
extern long long var_command_time_limit;
extern char *var_command_expansion_filter;
extern long long var_stale_lock_time;
extern char *var_stress;
extern char *var_default_database_type;
extern char *var_auth_owner;
extern char *var_auth_password_maps;
extern long long var_auth_failure_delay;
extern long long var_auth_client_failure_limit;
extern long long var_auth_client_failure_window;
extern long long var_auth_client_block_time;
extern long long var_anvil_rate_time_unit;
extern long long var_anvil_status_update_time;
extern long long var_smtpd_client_connection_count_limit;
extern long long var_smtpd_client_connection_rate_limit;
extern long long var_smtpd_client_message_rate_limit;
extern long long var_smtpd_client_recipient_rate_limit;
extern char *var_smtpd_client_event_limit_exceptions;
extern bool var_smtpd_per_record_deadline;
extern char *var_alias_maps;
extern char *var_alias_database;
extern char *var_allow_mail_to_commands;
extern char *var_allow_mail_to_files;
extern char *var_default_privs;
extern char *var_forward_path;
extern bool var_local_extension_folders;
extern char *var_virtual_alias_maps;
extern char *var_virtual_alias_domains;
extern char *var_virtual_mailbox_maps;
extern char *var_virtual_mailbox_domains;
extern char *var_virtual_mailbox_base;
extern char *var_virtual_uid_maps;
extern char *var_virtual_gid_maps;
extern long long var_virtual_alias_expansion_limit;
extern long long var_virtual_alias_recursion_limit;
extern long long var_virtual_minimum_uid;
extern long long var_virtual_mailbox_quota;
extern long long var_virtual_quota_defer_time;
/* smtpd's TLS */
extern char *var_smtpd_tls_security_level;
extern char *var_smtpd_tls_cert_file;
extern char *var_smtpd_tls_key_file;
extern char *var_smtpd_tls_eccert_file;
extern char *var_smtpd_tls_eckey_file;
extern char *var_smtpd_tls_chain_files;
extern char *var_smtpd_tls_protocols;
extern char *var_smtpd_tls_mandatory_protocols;
extern char *var_tls_medium_cipherlist;
extern char *var_tls_server_sni_maps;
extern bool var_smtpd_tls_wrappermode;
extern bool var_smtpd_tls_received_header;
extern long long var_smtpd_tls_loglevel;
extern long long var_smtpd_tls_session_cache_timeout;

/* The mail_owner account, resolved at load time. */
extern uid_t var_owner_uid;
extern gid_t var_owner_gid;

/*
 * Load config_dir/main.cf (config_dir NULL: $POSTERN_CONFIG_DIR or the
 * built-in default), apply "name=value" overrides (from master.cf -o, NULL
 * terminated, may be NULL), and set every variable above.  On failure
 * returns -1 and a malloc'ed "FILE, line N: why" in *error_r.
 */
int mail_conf_load(const char *config_dir, char *const *overrides, char **error_r);
/* Resolve mail_owner into var_owner_uid/gid; it must exist and not be root. */
int mail_owner_lookup(char **error_r);
/*
 * Load as much of main.cf as makes sense: unknown names are skipped and bad
 * values replaced by defaults.  Only for finding the queue of a running
 * system whose main.cf was broken since ("postern stop" must still work).
 */
int mail_conf_load_lenient(const char *config_dir);
/*
 * Read main.cf from this file rather than config_dir/main.cf (NULL: back to
 * normal).  master starts daemons from its snapshot of the last main.cf that
 * passed its checks, so a broken edit cannot stop new processes from starting.
 */
void mail_conf_use_file(const char *path);
/* Like mail_conf_load() but exit with a fatal error on failure. */
void mail_conf_load_or_die(const char *config_dir, char *const *overrides);

/* The configuration directory a command should use given its -c option. */
const char *mail_conf_dir(const char *option);

/* Iterate over parameter names in table order; NULL after the last. */
const char *mail_param_name(size_t i);
/* Effective (expanded) value as text, the raw default, and whether main.cf set it. */
const char *mail_param_value(const char *name);
const char *mail_param_default(const char *name);
/*
 * The value a numeric (integer or time) or boolean (1 or 0) parameter
 * takes with stress=yes, for a process that comes under stress while it
 * runs (server.h); -1 if the parameter is of another type or its value
 * does not parse then.
 */
int mail_param_stress_value(const char *name, long long *value_r);
bool mail_param_is_set(const char *name);
/*
 * A set parameter's value (checked against choices when main.cf was
 * loaded) as bits: bit i for the i-th word of choices ("a|b|c").
 */
unsigned mail_param_set_bits(const char *value, const char *choices);

#endif
