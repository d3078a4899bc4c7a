/** A change the project makes to an installed npm package (scripts/lib/npm-patches.mjs). */
export interface NpmPatch {
  name: string;
  package: string;
  version: string;
  /** The file, relative to the package's folder. */
  file: string;
  /** Left in the patched file: a second application changes nothing. */
  marker: string;
  /** The patched text, or undefined when the text is not what the patch was written for. */
  apply(text: string): string | undefined;
}
export declare const NPM_PATCHES: NpmPatch[];
export declare function patchedFile(patch: NpmPatch, nodeModules?: string): string;
export declare function applyNpmPatches(nodeModules?: string, patches?: NpmPatch[]): string[];
