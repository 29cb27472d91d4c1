/* Runs a command and writes its wall time in seconds (fork to exit, CLOCK_MONOTONIC) to the
 * file named by $BENCH_TIME_FILE. Used by bench/run so that every configuration is timed the
 * same way: the profiled program's own lifetime, library start-up and final flush included.
 * Leading NAME=VALUE arguments are set in the child's environment only (like env(1), without
 * timing a second exec, and without preloading anything into timed itself).
 * Usage: BENCH_TIME_FILE=F timed [NAME=VALUE...] CMD ARGS...   Exit code: CMD's (128+signal if killed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int first = 1;
    while (first < argc && strchr(argv[first], '=') && argv[first][0] != '=') first++;
    if (first >= argc) {
        fprintf(stderr, "usage: BENCH_TIME_FILE=F timed [NAME=VALUE...] CMD ARGS...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) return 127;
    if (pid == 0) {
        for (int i = 1; i < first; i++) putenv(argv[i]);
        execvp(argv[first], argv + first);
        perror(argv[first]);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {}
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const char *out = getenv("BENCH_TIME_FILE");
    FILE *f = out ? fopen(out, "w") : NULL;
    if (f) {
        fprintf(f, "%.6f\n", s);
        fclose(f);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
