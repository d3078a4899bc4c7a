// Reads a gateway's /metrics over HTTP (from this machine: no sign-in) as its samples.

/** The samples of /metrics by series, written as the text format writes it: name{labels} → value. */
export async function scrapeMetrics(base: string): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics: ${res.status}`);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
