#define _GNU_SOURCE
#include "CNimbusSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct nimbus_cancel_flag {
    atomic_int value;
};

nimbus_cancel_flag *nimbus_cancel_flag_new(void) {
    nimbus_cancel_flag *flag = calloc(1, sizeof(nimbus_cancel_flag));
    if (flag) atomic_init(&flag->value, 0);
    return flag;
}

void nimbus_cancel_flag_set(nimbus_cancel_flag *flag) { atomic_store(&flag->value, 1); }

void nimbus_cancel_flag_free(nimbus_cancel_flag *flag) { free(flag); }

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/// Closes both ends of each pipe that was made.
static void close_pairs(int out[2], int err[2], int failure[2], int report[2]) {
    int *pairs[] = {out, err, failure, report};
    for (int i = 0; i < 4; i++) {
        for (int end = 0; end < 2; end++) {
            if (pairs[i][end] >= 0) close(pairs[i][end]);
        }
    }
}

static void set_limit(int resource, long long value) {
    if (value <= 0) return;
    struct rlimit limit = {(rlim_t)value, (rlim_t)value};
    setrlimit(resource, &limit);
}

/// Appends what `fd` has to `buffer` (kept up to `cap` bytes; the rest is counted and dropped). Returns 0 at end
/// of file, 1 when more may come.
static int drain(int fd, char **buffer, size_t *length, size_t *capacity, long long cap, long long *seen) {
    char chunk[65536];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got == 0) return 0;
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            return 0;
        }
        *seen += got;
        size_t keep = (size_t)got;
        if (cap > 0 && (long long)(*length + keep) > cap) keep = cap > (long long)*length ? (size_t)(cap - *length) : 0;
        if (keep > 0) {
            if (*length + keep > *capacity) {
                size_t grown = (*capacity ? *capacity * 2 : 65536);
                while (grown < *length + keep) grown *= 2;
                char *bigger = realloc(*buffer, grown);
                if (!bigger) return 0;
                *buffer = bigger;
                *capacity = grown;
            }
            memcpy(*buffer + *length, chunk, keep);
            *length += keep;
        }
    }
}

int nimbus_run_limited(const char *path, char *const argv[], char *const envp[], const char *directory,
                       const nimbus_limits *limits, nimbus_cancel_flag *cancel, nimbus_run_result *result) {
    memset(result, 0, sizeof *result);
    result->exit_status = -1;
    int out[2] = {-1, -1}, err[2] = {-1, -1}, failure[2] = {-1, -1}, report[2] = {-1, -1};
    if (pipe2(report, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ||
        pipe2(failure, O_CLOEXEC) != 0) {
        int saved = errno;
        close_pairs(out, err, failure, report);
        errno = saved;
        return -1;
    }
    long long started = now_us();
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close_pairs(out, err, failure, report);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        // The report channel is descriptor 3 (what a boot program writes its child's usage to).
        if (report[1] != 3) dup2(report[1], 3);
        fcntl(3, F_SETFD, 0);
        if (directory && chdir(directory) != 0) {
            int code = errno;
            (void)!write(failure[1], &code, sizeof code);
            _exit(127);
        }
        // The hard CPU limit a second later: at the soft one the kernel sends SIGXCPU, which says why.
        if (limits->cpu_seconds > 0) {
            struct rlimit cpu = {(rlim_t)limits->cpu_seconds, (rlim_t)limits->cpu_seconds + 1};
            setrlimit(RLIMIT_CPU, &cpu);
        }
        set_limit(RLIMIT_AS, limits->memory_bytes);
        set_limit(RLIMIT_NPROC, limits->processes);
        set_limit(RLIMIT_FSIZE, limits->file_bytes);
        set_limit(RLIMIT_CORE, 0);
        if (limits->open_files > 0) set_limit(RLIMIT_NOFILE, limits->open_files);
        execve(path, argv, envp);
        int code = errno;
        (void)!write(failure[1], &code, sizeof code);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    close(failure[1]);
    close(report[1]);
    int code = 0;
    ssize_t got;
    do {
        got = read(failure[0], &code, sizeof code);
    } while (got < 0 && errno == EINTR);
    close(failure[0]);
    if (got == (ssize_t)sizeof code) {
        int status;
        waitpid(pid, &status, 0);
        close(out[0]);
        close(err[0]);
        close(report[0]);
        result->spawn_errno = code;
        errno = code;
        return -1;
    }
    result->pid = pid;
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    fcntl(report[0], F_SETFL, O_NONBLOCK);
    size_t out_capacity = 0, err_capacity = 0, report_capacity = 0;
    long long out_seen = 0, err_seen = 0, report_seen = 0;
    int out_open = 1, err_open = 1, report_open = 1, killed = 0, exited = 0, status = 0;
    long long exited_at = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    long long deadline = limits->wall_ms > 0 ? now_ms() + limits->wall_ms : 0;
    while (out_open || err_open || report_open) {
        struct pollfd fds[3];
        int count = 0;
        if (out_open) fds[count++] = (struct pollfd){out[0], POLLIN, 0};
        if (err_open) fds[count++] = (struct pollfd){err[0], POLLIN, 0};
        if (report_open) fds[count++] = (struct pollfd){report[0], POLLIN, 0};
        int ready = poll(fds, count, 50);
        if (ready < 0 && errno != EINTR) break;
        for (int i = 0; i < count; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (fds[i].fd == out[0])
                out_open = drain(out[0], &result->out, &result->out_length, &out_capacity, limits->output_bytes,
                                 &out_seen);
            else if (fds[i].fd == report[0])
                report_open = drain(report[0], &result->report, &result->report_length, &report_capacity, 65536,
                                    &report_seen);
            else
                err_open = drain(err[0], &result->err, &result->err_length, &err_capacity, limits->output_bytes,
                                 &err_seen);
        }
        if (!killed) {
            int reason = 0;
            if (limits->output_bytes > 0 && (out_seen > limits->output_bytes || err_seen > limits->output_bytes))
                reason = NIMBUS_LIMIT_OUTPUT;
            else if (deadline && now_ms() >= deadline)
                reason = NIMBUS_LIMIT_WALL;
            else if (cancel && atomic_load(&cancel->value))
                reason = NIMBUS_LIMIT_CANCELLED;
            if (reason) {
                result->limit = reason;
                killed = 1;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            }
        }
        if (!exited) {
            pid_t done = wait4(pid, &status, WNOHANG, &usage);
            if (done == pid) {
                exited = 1;
                exited_at = now_ms();
            }
        }
        // A descendant that outlived the child may hold the pipes open: stop reading soon after the child ends.
        if (exited && now_ms() - exited_at > 200) {
            kill(-pid, SIGKILL);
            break;
        }
    }
    close(out[0]);
    close(err[0]);
    close(report[0]);
    if (!exited) {
        while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
        }
    }
    result->wall_us = now_us() - started;
    result->user_us = (long long)usage.ru_utime.tv_sec * 1000000 + usage.ru_utime.tv_usec;
    result->system_us = (long long)usage.ru_stime.tv_sec * 1000000 + usage.ru_stime.tv_usec;
    result->max_rss_kb = usage.ru_maxrss;
    result->out_total = out_seen;
    result->err_total = err_seen;
    if (WIFEXITED(status)) {
        result->exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result->signal = WTERMSIG(status);
    }
    return 0;
}

void nimbus_run_result_free(nimbus_run_result *result) {
    free(result->out);
    free(result->err);
    free(result->report);
    result->report = NULL;
    result->out = NULL;
    result->err = NULL;
}
