// Types of lib/shims/build.mjs for the TypeScript that imports it (e2e/bench/sizes.ts).
import type { BuildOptions } from "esbuild";

export const SHIMS: Record<string, string>;
export function withShims<T extends BuildOptions>(options: T): T;
