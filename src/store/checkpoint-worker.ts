// The thread WAL checkpoints run on (see checkpointer.ts): its own connection to
// the store's file, a PASSIVE checkpoint every busyMs while the WAL grows (every
// idleMs while it does not), each reported, and one more whenever asked.
// It stops on the message 'stop' (closes its connection and lets the thread end):
// terminating a thread while it still loads better-sqlite3's addon aborts the
// whole process (napi FATAL ERROR), so the owner asks instead of killing.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, busyMs, idleMs } = workerData as { path: string; busyMs: number; idleMs: number };
const port = parentPort!;
const db = new Database(path);
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

port.on('message', (message: 'checkpoint' | 'stop') => {
  if (message !== 'stop') return void report(true);
  clearTimeout(timer);
  db.close();
  port.close(); // nothing keeps the thread alive any more: it ends with code 0
});
tick();
