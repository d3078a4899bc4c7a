// Runs in a worker thread (screenshots.ts starts one per comparison): decodes a
// reference and an actual PNG, counts the pixels that differ and encodes the diff
// picture only when more differ than allowed. Off the main thread because the
// e2e files host the gateway in their own process: a portrait screen's decoding,
// comparing and encoding held that event loop for up to 13 s on a loaded 2-core
// machine, longer than socket.io's heartbeat waits (pingTimeout 10 s), and the desk
// page was disconnected under the test ("No connection – reconnecting …").
import { parentPort, workerData } from 'node:worker_threads';
import pixelmatch from 'pixelmatch';
import pngjs from 'pngjs';

/** `tolerance`: the share of the pixels allowed to differ. */
export interface CompareRequest { expected: Uint8Array; actual: Uint8Array; tolerance: number }
export interface CompareResult { differing: number; allowed: number; total: number; diff: Uint8Array | null }

/** The pixels of two PNGs that differ (pixelmatch's colour threshold 0.1, anti-aliased pixels ignored). */
export function compare({ expected, actual, tolerance }: CompareRequest): CompareResult {
  const { PNG } = pngjs;
  const a = PNG.sync.read(Buffer.from(expected));
  const b = PNG.sync.read(Buffer.from(actual));
  const total = b.width * b.height;
  const allowed = Math.floor(total * tolerance);
  if (a.width !== b.width || a.height !== b.height) return { differing: Math.max(a.width * a.height, total), allowed, total, diff: null };
  const diff = new PNG({ width: a.width, height: a.height });
  const differing = pixelmatch(a.data, b.data, diff.data, a.width, a.height, { threshold: 0.1 });
  return { differing, allowed, total, diff: differing > allowed ? PNG.sync.write(diff) : null };
}

if (parentPort && workerData) parentPort.postMessage(compare(workerData as CompareRequest));
