#ifndef C_ABACUS_SPAWN_H
#define C_ABACUS_SPAWN_H

#include <sys/types.h>

/// Starts `path` as a child of the test process, the one way tests start programs.
///
/// - The child is forked by a thread that lives as long as the process (created on first use),
///   because PR_SET_PDEATHSIG fires when the forking *thread* ends, not the process: the child
///   gets SIGKILL when the test process dies, however it dies, so a crash leaves no peer running.
/// - Signal dispositions are reset to the default and the signal mask is emptied (the test
///   process ignores or blocks some signals; a child must not inherit that).
/// - stdin reads `stdin_path` (NULL: /dev/null); stdout and stderr write `stdout_path` and
///   `stderr_path` (NULL: /dev/null; the same path: one file, opened once), created if needed,
///   appended to when `append` is non-zero, else truncated.
/// - Every descriptor above 2 is closed, so no listening socket of the test process outlives it
///   in a child. The working directory is `cwd` unless NULL.
///
/// Returns the child's pid, or -errno when the fork, the set-up in the child, or the exec failed.
pid_t abacus_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   const char *stdin_path, const char *stdout_path, const char *stderr_path, int append);

#endif
