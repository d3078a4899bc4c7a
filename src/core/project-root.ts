// The project's root directory (config/, web/dist), found from the running module's
// directory upwards: the same answer whether the sources run under Node's type
// stripping (src/main.ts) or as the server bundle `npm start` runs (.build/<key>/main.mjs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root (package.json and config/default.yaml) above ${from}`);
  }
}
