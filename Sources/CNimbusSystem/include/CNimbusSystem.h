#ifndef CNIMBUS_SYSTEM_H
#define CNIMBUS_SYSTEM_H

#include <stddef.h>

/// Atomically swaps two paths (Linux renameat2 with RENAME_EXCHANGE). Returns 0, or -1 with errno set
/// (EINVAL or ENOSYS where the kernel or filesystem cannot exchange).
int nimbus_rename_exchange(const char *first, const char *second);

/// Limits for ``nimbus_run_limited``; 0 means none. Resource limits apply to the child and what it starts.
typedef struct {
    long long wall_ms;
    long long cpu_seconds;
    long long memory_bytes;
    long long processes;
    long long file_bytes;
    long long open_files;
    /// Per stream; more output kills the child.
    long long output_bytes;
} nimbus_limits;

#define NIMBUS_LIMIT_NONE 0
#define NIMBUS_LIMIT_WALL 1
#define NIMBUS_LIMIT_OUTPUT 2
#define NIMBUS_LIMIT_CANCELLED 3

/// How a limited child ended. `out` and `err` are allocated; free them with ``nimbus_run_result_free``.
typedef struct {
    int pid;
    int exit_status;
    int signal;
    int limit;
    int spawn_errno;
    long long wall_us;
    long long user_us;
    long long system_us;
    long long max_rss_kb;
    char *out;
    size_t out_length;
    long long out_total;
    char *err;
    size_t err_length;
    long long err_total;
    /// What the child wrote to descriptor 3 (at most 64 KiB).
    char *report;
    size_t report_length;
} nimbus_run_result;

/// A flag another thread sets to stop a run.
typedef struct nimbus_cancel_flag nimbus_cancel_flag;
nimbus_cancel_flag *nimbus_cancel_flag_new(void);
void nimbus_cancel_flag_set(nimbus_cancel_flag *flag);
void nimbus_cancel_flag_free(nimbus_cancel_flag *flag);

/// Runs `path` in a process group of its own with resource limits, standard input from /dev/null, and its output
/// captured (up to `output_bytes` per stream; descriptor 3 is a report channel), until it ends, the wall limit passes, its output passes the cap or
/// `cancel` is set (then the group is killed). Blocks the calling thread. Returns 0, or -1 with errno set when the
/// program could not be started.
int nimbus_run_limited(const char *path, char *const argv[], char *const envp[], const char *directory,
                       const nimbus_limits *limits, nimbus_cancel_flag *cancel, nimbus_run_result *result);
void nimbus_run_result_free(nimbus_run_result *result);

#endif
