#ifndef CNIMBUS_SYSTEM_H
#define CNIMBUS_SYSTEM_H

/// Atomically swaps two paths (Linux renameat2 with RENAME_EXCHANGE). Returns 0, or -1 with errno set
/// (EINVAL or ENOSYS where the kernel or filesystem cannot exchange).
int nimbus_rename_exchange(const char *first, const char *second);

#endif
