// The thread WAL checkpoints run on (see checkpointer.ts): its own connection to
// the store's file, a PASSIVE checkpoint every busyMs while the WAL grows (every
// idleMs while it does not), each reported, and one more whenever asked.
// On 'truncate' it empties the WAL (wal_checkpoint(TRUNCATE)) while the store's
// connection is paused: on this thread, so it never meets a pass of its own, and
// without waiting for a reader elsewhere (it answers "busy" and is asked again later).
// On 'checkpoint' (asked while the store's connection is paused) it also starts
// the WAL over once everything is copied back: see startOver. On 'wrote' (the
// store's first commit since) it passes at once: see wrote.
// It stops on the message 'stop' (closes its connection and lets the thread end):
// terminating a thread while it still loads better-sqlite3's addon aborts the
// whole process (napi FATAL ERROR), so the owner asks instead of killing.
import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointRequest } from './checkpointer.ts';
import { OwnWriteWatch } from './own-write-watch.ts';

const { path, busyMs, idleMs } = workerData as { path: string; busyMs: number; idleMs: number };
const port = parentPort!;
// No busy wait: a pass never waits anyway (PASSIVE), and a truncation that meets a reader answers busy at once.
const db = new Database(path, { timeout: 0 });
// As the store's connection: a commit here syncs nothing but the header of a WAL it starts over
// (FULL, the default, would sync the WAL at every commit too); checkpoints sync the same either way.
db.pragma('synchronous = NORMAL');
let lastLog = -1;

/** PASSIVE: copies what is committed back into the database, never waits for the writer nor stops it. */
function pass(): { log: number; checkpointed: number } {
  const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return { log: r!.log, checkpointed: r!.checkpointed };
}

/** The WAL header's checkpoint sequence number and salts (bytes 12–23): they change exactly when the WAL starts over. */
const header = Buffer.alloc(12);
let walFd: number | undefined;
function walHeader(): string {
  try {
    walFd ??= openSync(`${path}-wal`, 'r');
    return readSync(walFd, header, 0, 12, 12) === 12 ? header.toString('hex') : '';
  } catch {
    return '';
  }
}

/**
 * The frames in the WAL without a checkpoint: mxFrame of the wal-index header,
 * bytes 16–19 of the -shm file in the machine's byte order (sqlite.org/walformat.html).
 */
const frames = Buffer.alloc(4);
let shmFd: number | undefined;
function framesInWal(): number | undefined {
  try {
    shmFd ??= openSync(`${path}-shm`, 'r');
    if (readSync(shmFd, frames, 0, 4, 16) !== 4) return undefined;
    return endianness() === 'LE' ? frames.readUInt32LE(0) : frames.readUInt32BE(0);
  } catch {
    return undefined;
  }
}

/**
 * After a start-over the WAL holds the thread's own write alone; copying it
 * back would leave the WAL all copied again, and the store's next write would
 * start it over itself (with the header sync). So no pass while that is all
 * there is: the store's next commit appends to it.
 */
const own = new OwnWriteWatch({ idleMs });

/**
 * Starts the WAL over here, not in the next commit of the store's connection:
 * the first write after a checkpoint that copied everything back writes the
 * WAL's header afresh and syncs it (synchronous = NORMAL) — an fsync inside a
 * card read's COMMIT, on the event loop. Asked while that connection is paused,
 * the thread makes that write: it sets user_version to what it is (a write of
 * page 1 and nothing else; nothing in the store uses user_version). Answers
 * whether the WAL started over; busy (another process writes) or a reader
 * elsewhere still in the WAL: it did not, and that is no failure.
 */
function startOver(): boolean {
  const before = walHeader();
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${version}`);
  } catch (error) {
    if (String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY')) return false;
    throw error;
  }
  const restarted = before !== '' && walHeader() !== before;
  own.startedOver(restarted ? framesInWal() : undefined);
  return restarted;
}

function report(requested: boolean): number | undefined {
  try {
    const result = pass();
    // Asked for (the store is paused): everything copied back means the WAL can start over now.
    const restarted = requested && result.log > 0 && result.checkpointed === result.log ? startOver() : false;
    port.postMessage({ ...result, requested, restarted });
    const growing = result.log !== lastLog;
    lastLog = restarted ? -1 : result.log; // started over: the next pass comes soon, as after growth
    return growing ? busyMs : idleMs;
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error), requested });
    return undefined;
  }
}

// On a timer of its own: the passes go on while the store's event loop is busy.
let timer: ReturnType<typeof setTimeout> | undefined;
function reschedule(ms: number): void {
  clearTimeout(timer);
  timer = setTimeout(tick, ms);
}
function tick(): void {
  const look = own.watching ? own.look(framesInWal()) : undefined;
  if (look !== undefined) {
    timer = setTimeout(tick, look);
    return;
  }
  const next = report(false);
  if (next !== undefined) timer = setTimeout(tick, next);
}

/**
 * The store committed for the first time since the start-over (Checkpointer
 * posts 'wrote'): a pass at once, not at a look of the thread's own — a burst of
 * card reads would otherwise grow the WAL unchecked until then. Also when the
 * thread no longer watches its own write: a truncation emptied the WAL since, or
 * the start-over left no frames it could read — the store wrote all the same,
 * and no look of the thread's own is due before the idle one. A commit whose
 * writes changed nothing leaves the thread's write alone in the WAL: it asks to
 * be told of the next one.
 */
function wrote(): void {
  if (own.watching && own.look(framesInWal()) !== undefined) return void port.postMessage({ ownWriteAlone: true });
  clearTimeout(timer);
  const next = report(false);
  if (next !== undefined) timer = setTimeout(tick, next);
}

/** TRUNCATE: everything copied back and the -wal file cut to zero bytes, unless a reader still needs it. */
function truncate(): void {
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (r!.busy === 0) own.clear();
    port.postMessage({ log: r!.log, checkpointed: r!.checkpointed, requested: true, truncated: r!.busy === 0 });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error), requested: true });
  }
}

port.on('message', (message: CheckpointRequest) => {
  if (message === 'wrote') return wrote();
  if (message === 'truncate') return truncate();
  // A quiet WAL that grew meanwhile: the store is writing after all, nothing to start over.
  if (typeof message === 'object' && framesInWal() !== message.quietAt) return port.postMessage({ log: -1, checkpointed: -1, requested: true, skipped: true });
  if (message !== 'stop') {
    // Started over: the store's next commit says so ('wrote'); a look of the thread's own at
    // the idle interval only backs that up (a write by another process).
    if (report(true) !== undefined && own.watching) reschedule(idleMs);
    return;
  }
  clearTimeout(timer);
  db.close();
  for (const fd of [walFd, shmFd]) if (fd !== undefined) closeSync(fd);
  walFd = shmFd = undefined; // a second 'stop' closes nothing twice
  port.close(); // nothing keeps the thread alive any more: it ends with code 0
});
tick();
