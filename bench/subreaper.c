/* Runs a command as a child subreaper and logs the exit status of every process it reaps.
 *
 * Used by the fault suite (bench/run faults, FaultsEndToEndTest): when `plumb run`'s JVM is
 * killed with SIGKILL, the program it profiles is orphaned; with this process as subreaper the
 * orphan is re-parented here instead of to init, so its own exit code can still be observed.
 *
 * Usage: subreaper LOG CMD ARGS...
 * LOG gets one line per reaped process, as it is reaped: "PID CODE" where CODE is the exit
 * status, or 128+signal for a process killed by a signal. The first line written is
 * "child PID" (CMD's pid). Exits with CMD's own CODE once every descendant is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: subreaper LOG CMD ARGS...\n");
        return 2;
    }
    FILE *log = fopen(argv[1], "w");
    if (!log) {
        perror(argv[1]);
        return 2;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("subreaper: PR_SET_CHILD_SUBREAPER");
        return 2;
    }
    pid_t child = fork();
    if (child < 0) return 127;
    if (child == 0) {
        fclose(log);
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    fprintf(log, "child %d\n", (int)child);
    fflush(log);
    int child_code = 127;
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: every descendant is gone */
        }
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (pid == child) child_code = code;
        fprintf(log, "%d %d\n", (int)pid, code);
        fflush(log);
    }
    fclose(log);
    return child_code;
}
