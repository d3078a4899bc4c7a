// The thread WAL checkpoints run on (see checkpointer.ts): its own connection to
// the store's file, a PASSIVE checkpoint every busyMs while the WAL grows (every
// idleMs while it does not), each reported, and one more whenever asked.
// It is stopped with Worker.terminate(); better-sqlite3 closes the connection then.
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
function tick(): void {
  const next = report(false);
  if (next !== undefined) setTimeout(tick, next);
}

port.on('message', () => void report(true));
tick();
