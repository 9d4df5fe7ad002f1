/*
 * account_password.c - reading a password: from the terminal with echo
 * off (and back on, even when a signal ends us halfway), or one line of
 * stdin for scripts.  The caller wipes the result after use; our own
 * copies are wiped here.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include <termios.h>
#include "account.h"
#include "iostuff.h"

static struct termios account_tty_saved;
static volatile sig_atomic_t account_tty_changed;

/* A signal while echo is off: turn it back on, then die of the signal. */
static void account_tty_signal(int sig)
{
    if (account_tty_changed)
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &account_tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Echo back on before an exit, so that no failure leaves the terminal mute. */
static void account_tty_restore(void)
{
    int saved_errno = errno;

    if (account_tty_changed)
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &account_tty_saved);
    account_tty_changed = 0;
    errno = saved_errno;
}

static void account_tty_echo(bool on)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
    struct termios t;
    size_t i;

    if (on) {
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &account_tty_saved) < 0)
            account_fail(EX_IOERR, "restore the terminal: %m");
        account_tty_changed = 0;
        return;
    }
    if (tcgetattr(STDIN_FILENO, &account_tty_saved) < 0)
        account_fail(EX_IOERR, "read the terminal's settings: %m");
    for (i = 0; i < COUNTOF(sigs); i++)
        if (signal(sigs[i], account_tty_signal) == SIG_ERR)
            account_fail(EX_OSERR, "signal %d: %m", sigs[i]);
    t = account_tty_saved;
    t.c_lflag &= ~(tcflag_t)ECHO;
    t.c_lflag |= ECHONL;
    account_tty_changed = 1;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
        account_fail(EX_IOERR, "turn off echo: %m");
}

/* One line of stdin into out, without its line end; exits on errors. */
static void account_read_line(char *out, size_t len)
{
    size_t n = 0;
    char c;

    for (;;) {
        ssize_t r = read(STDIN_FILENO, &c, 1);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            account_tty_restore();
            account_fail(EX_IOERR, "read the password: %m");
        }
        if (r == 0 || c == '\n')
            break;
        if (c == 0) {
            account_tty_restore();
            account_fail(EX_DATAERR, "the password has a NUL byte");
        }
        if (n + 1 >= len) {
            explicit_bzero(out, len);
            account_tty_restore();
            account_fail(EX_DATAERR, "the password is longer than %d bytes",
                         PASS_CRYPT_PASSWORD_MAX);
        }
        out[n++] = c;
    }
    if (n > 0 && out[n - 1] == '\r')
        n--;
    out[n] = 0;
}

/*
 * Echo goes off before the prompt appears, as getpass() does: turning it off
 * flushes type-ahead (TCSAFLUSH), which must not take an answer typed to
 * the prompt, and nothing typed after the prompt may be echoed.
 */
static void account_prompt(const char *prompt, char *out, size_t len)
{
    account_tty_echo(false);
    if (write_full(STDERR_FILENO, prompt, strlen(prompt)) < 0) {
        account_tty_restore();
        account_fail(EX_IOERR, "write the prompt: %m");
    }
    account_read_line(out, len);
    account_tty_echo(true);
}

void account_password_read(bool confirm, char *out, size_t len)
{
    char again[PASS_CRYPT_PASSWORD_MAX + 1];
    bool same;

    if (!isatty(STDIN_FILENO)) {
        account_read_line(out, len);
    } else {
        account_prompt(confirm ? "New password: " : "Password: ", out, len);
        if (confirm) {
            account_prompt("Retype new password: ", again, sizeof(again));
            same = strcmp(out, again) == 0;
            explicit_bzero(again, sizeof(again));
            if (!same) {
                explicit_bzero(out, len);
                account_fail(EX_DATAERR, "the passwords differ; nothing was changed");
            }
        }
    }
    if (confirm && out[0] == 0)
        account_fail(EX_DATAERR, "empty password; nothing was changed");
}
