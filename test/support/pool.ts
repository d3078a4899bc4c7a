// A real WorkerPool on loopback with ephemeral ports, for SFU tests.
import pino from 'pino';
import { WorkerPool } from '../../src/sfu/index.ts';
import { requireWorkerBin } from './tools.ts';

export async function startPool(workers = 1, basePort = 0): Promise<WorkerPool> {
  const pool = new WorkerPool({
    workers, basePort, listen: [{ ip: '127.0.0.1' }], minPort: 42000, maxPort: 42999,
    workerBin: requireWorkerBin(), logger: pino({ level: 'silent' }),
  });
  await pool.start();
  return pool;
}
