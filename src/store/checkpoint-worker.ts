// The thread WAL checkpoints run on (see checkpointer.ts): its own connection to
// the store's file, a PASSIVE checkpoint every busyMs while the WAL grows (every
// idleMs while it does not), each reported, and one more whenever asked.
// On 'truncate' it empties the WAL (wal_checkpoint(TRUNCATE)) while the store's
// connection is paused: on this thread, so it never meets a pass of its own, and
// without waiting for a reader elsewhere (it answers "busy" and is asked again later).
// It stops on the message 'stop' (closes its connection and lets the thread end):
// terminating a thread while it still loads better-sqlite3's addon aborts the
// whole process (napi FATAL ERROR), so the owner asks instead of killing.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, busyMs, idleMs } = workerData as { path: string; busyMs: number; idleMs: number };
const port = parentPort!;
// No busy wait: a pass never waits anyway (PASSIVE), and a truncation that meets a reader answers busy at once.
const db = new Database(path, { timeout: 0 });
let lastLog = -1;

/** PASSIVE: copies what is committed back into the database, never waits for the writer nor stops it. */
function pass(): { log: number; checkpointed: number } {
  const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
  return { log: r!.log, checkpointed: r!.checkpointed };
}

function report(requested: boolean): number | undefined {
  try {
    const result = pass();
    port.postMessage({ ...result, requested });
    const growing = result.log !== lastLog;
    lastLog = result.log;
    return growing ? busyMs : idleMs;
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error), requested });
    return undefined;
  }
}

// On a timer of its own: the passes go on while the store's event loop is busy.
let timer: ReturnType<typeof setTimeout> | undefined;
function tick(): void {
  const next = report(false);
  if (next !== undefined) timer = setTimeout(tick, next);
}

/** TRUNCATE: everything copied back and the -wal file cut to zero bytes, unless a reader still needs it. */
function truncate(): void {
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    port.postMessage({ log: r!.log, checkpointed: r!.checkpointed, requested: true, truncated: r!.busy === 0 });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error), requested: true });
  }
}

port.on('message', (message: 'checkpoint' | 'truncate' | 'stop') => {
  if (message === 'truncate') return truncate();
  if (message !== 'stop') return void report(true);
  clearTimeout(timer);
  db.close();
  port.close(); // nothing keeps the thread alive any more: it ends with code 0
});
tick();
