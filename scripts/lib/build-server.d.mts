// Types of build-server.mjs for the TypeScript that imports it (tests, benches).
export const SERVER_NODE_FLAGS: string[];
export function ensureServerBundle(opts?: { srcDir?: string; buildDir?: string }): { main: string; built: boolean };
