// Types of scripts/lib/build-web.mjs for the tests and benchmarks that import it.
export declare const PAGES: string[];
/** Writes file.br and file.gz next to `file`; their sizes and the file's, in bytes. */
export declare function writeTwins(file: string): { bytes: number; br: number; gzip: number };
/** Builds the pages into web/dist (with their twins); a line saying what was built. */
export declare function buildWeb(): Promise<string>;
