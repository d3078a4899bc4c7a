// What a test file of the 'shared' vitest project (isolate: false) leaves running:
// those files share one process, so a server, socket, child process or timer one
// of them forgets would be inherited silently by the next (review s22 #13).
// Counted by kind from process.getActiveResourcesInfo() — only what keeps the
// event loop alive (unref'd timers do not count).

export type ResourceCounts = Record<string, number>;

export function resourceCounts(): ResourceCounts {
  const counts: ResourceCounts = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Kinds with more resources now than at the start, and by how many ("2 TCPServerWrap"). */
export function leftOver(before: ResourceCounts, after: ResourceCounts): string[] {
  return Object.entries(after)
    .filter(([kind, n]) => n > (before[kind] ?? 0))
    .map(([kind, n]) => `${n - (before[kind] ?? 0)} ${kind}`)
    .sort();
}

/**
 * Waits until no more resources are active than at the file's start (a socket
 * closed by its peer goes a few event-loop turns later), polling each
 * `stepMs`; after `boundMs` resolves what is still left over (empty: nothing).
 */
export async function settledLeftOver(before: ResourceCounts, boundMs = 10_000, stepMs = 50): Promise<string[]> {
  const until = Date.now() + boundMs;
  for (;;) {
    // The poll's own timer is not active while this runs.
    const left = leftOver(before, resourceCounts());
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
