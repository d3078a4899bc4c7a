// Phone-book search latency at 10 000 entries: prefixes, infixes, umlauts,
// transliterations, typos and departments, as visitors type them. Besides wall
// time it reports the process's CPU time per query (all threads, so GC included),
// which a loaded machine stretches far less.
// Usage: node scripts/run.mjs node bench/phonebook-search.ts [--smoke]
import { performance } from 'node:perf_hooks';
import { SearchIndex, type PhoneBookEntry } from '../src/phonebook/index.ts';
import { summary, smoke, print } from './lib.ts';

const FIRST = ['Anna', 'Jürgen', 'Petra', 'Max', 'Ayşe', 'François', 'Sören', 'Zoë', 'Lukas', 'Mia', 'Björn', 'Hannah', 'Jörg', 'Elif', 'Noah'];
const LAST = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Strauß', 'Özdemir', 'Dubois', 'Großmann', 'Kößler', 'Nguyen'];
const DEPT = ['Einkauf', 'Personal', 'Vertrieb', 'Buchhaltung', 'IT', 'Recht', 'Marketing', 'Forschung', 'Logistik', 'Empfang'];
const QUERIES = ['mül', 'mueller', 'Muller', 'schmi', 'midt', 'Schmitd', 'strauss', 'ozdemir', 'francois', 'einkauf', 'it weber', 'groß', 'grossmann', 'koessler', 'anna m', 'j', 'hoffmnn', 'Buchhaltung Becker'];

const N = smoke ? 1000 : 10_000;
const ROUNDS = smoke ? 3 : 50;
let seed = 42;
const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };

const index = new SearchIndex();
const buildStart = performance.now();
for (let i = 0; i < N; i++) {
  const entry: PhoneBookEntry = {
    id: `e${i}`, siteId: 'hq', kind: 'person', name: `${FIRST[rand(FIRST.length)]} ${LAST[rand(LAST.length)]}${i % 7 === 0 ? `-${LAST[rand(LAST.length)]}` : ''}`,
    department: DEPT[rand(DEPT.length)]!, routes: [{ type: 'desk-user', userId: `u${i}` }], policy: { legTimeoutS: 20, capS: 90 },
  };
  index.put(entry);
}
const buildMs = performance.now() - buildStart;

const times: number[] = [];
const cpu: number[] = [];
const hits: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const q of QUERIES) {
    const c = process.cpuUsage();
    const s = performance.now();
    const result = index.search(q);
    times.push(performance.now() - s);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    hits.push(result.length);
  }
}
print({
  bench: 'phonebook-search', entries: N, queries: times.length,
  search_ms: summary(times), search_cpu_ms: summary(cpu), index_build_ms: Number(buildMs.toFixed(1)),
  mean_hits: Number((hits.reduce((a, b) => a + b, 0) / hits.length).toFixed(1)),
  heap_mib: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)),
});
