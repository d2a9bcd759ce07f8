#define _GNU_SOURCE
#include "CAbacusSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct request {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    const char *stdin_path;
    const char *stdout_path;
    const char *stderr_path;
    int append;
    pid_t result;
    int done;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct request *pending;

/// In the child, between fork and exec: async-signal-safe calls only. Reports a failure's
/// errno on `report` (close-on-exec, so a successful exec closes it with nothing written).
static void child(struct request *r, pid_t parent, int report) {
    int error = 0;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) { error = errno; goto fail; }
    // The parent may have died between fork and prctl: then nobody would send the signal.
    if (getppid() != parent) _exit(127);

    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        (void)sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);

    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (r->append ? O_APPEND : O_TRUNC);
    int in = open(r->stdin_path ? r->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) { error = errno; goto fail; }
    int out = open(r->stdout_path ? r->stdout_path : "/dev/null", flags, 0644);
    if (out < 0) { error = errno; goto fail; }
    int err = out;
    if (r->stderr_path && !(r->stdout_path && strcmp(r->stderr_path, r->stdout_path) == 0)) {
        err = open(r->stderr_path, flags, 0644);
        if (err < 0) { error = errno; goto fail; }
    } else if (!r->stderr_path && r->stdout_path) {
        err = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (err < 0) { error = errno; goto fail; }
    }
    // dup2 clears close-on-exec on the copies 0, 1 and 2.
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) { error = errno; goto fail; }
    if (r->cwd && chdir(r->cwd) != 0) { error = errno; goto fail; }

    // Close everything above 2 but the report pipe (close-on-exec, it closes itself).
    for (int fd = 3; fd < report; fd++) (void)close(fd);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)report + 1, ~0U, 0) != 0)
#endif
    {
        struct rlimit limit;
        long max = (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
                       ? (long)limit.rlim_cur : 65536;
        if (max > 1 << 20) max = 1 << 20;
        for (long fd = report + 1; fd < max; fd++) (void)close((int)fd);
    }
    execve(r->path, r->argv, r->envp);
    error = errno;
fail:
    (void)!write(report, &error, sizeof error);
    _exit(127);
}

static pid_t spawn_now(struct request *r) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return -error;
    }
    if (pid == 0) {
        close(pipefd[0]);
        child(r, parent, pipefd[1]);
    }
    close(pipefd[1]);
    int error = 0;
    ssize_t got;
    do {
        got = read(pipefd[0], &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    if (got == (ssize_t)sizeof error) {
        // The child failed before exec and exits with 127: reap it here.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -(error ? error : ECHILD);
    }
    return pid;
}

static void *spawner(void *unused) {
    (void)unused;
    // This thread forks every child: it must never end (see the header).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!pending) pthread_cond_wait(&changed, &lock);
        struct request *r = pending;
        pending = NULL;
        pthread_mutex_unlock(&lock);
        pid_t pid = spawn_now(r);
        pthread_mutex_lock(&lock);
        r->result = pid;
        r->done = 1;
        pthread_cond_broadcast(&changed);
    }
    return NULL;
}

static int spawner_error;

static void start_spawner(void) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    spawner_error = pthread_create(&thread, &attributes, spawner, NULL);
    pthread_attr_destroy(&attributes);
}

pid_t abacus_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   const char *stdin_path, const char *stdout_path, const char *stderr_path, int append) {
    pthread_once(&once, start_spawner);
    if (spawner_error != 0) return -spawner_error;
    struct request r = {path, argv, envp, cwd, stdin_path, stdout_path, stderr_path, append, 0, 0};
    pthread_mutex_lock(&callers);
    pthread_mutex_lock(&lock);
    pending = &r;
    pthread_cond_broadcast(&changed);
    while (!r.done) pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&callers);
    return r.result;
}
