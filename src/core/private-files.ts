// The data directory and the files in it hold password hashes, queued door
// commands and keys: owner-only whatever the process's umask (the systemd
// unit's UMask only masks this when run by systemd).
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates `dir` 0700 (parents as needed), or tightens an existing one to 0700. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Creates a SQLite file 0600 before SQLite opens it (an empty file is an empty
 * database; SQLite gives its -wal and -shm files the database file's mode), or
 * tightens an existing one and its -wal and -shm to 0600.
 */
export function privateDatabase(path: string): void {
  if (path === ':memory:') return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  for (const companion of [`${path}-wal`, `${path}-shm`]) if (existsSync(companion)) chmodSync(companion, 0o600);
}
