/**
 * Where the repository is, and how to run its CLI, whether the tests run as TypeScript under tsx
 * or compiled to dist/ (`npm test` compiles first: a tsx loader in every test process and every
 * worker thread cost ~3 s of CPU per server started, about a third of the suite's CPU).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when this file is the compiled copy under dist/. */
export const COMPILED = import.meta.url.endsWith('.js');

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // The compiled tree has no package.json of its own, so the first one above is the repository's.
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test helpers');
    dir = up;
  }
  return dir;
}

/** The repository root (where package.json, src/ and docs/ are), in both modes. */
export const REPO_ROOT = findRoot();

/** Node arguments that run `llais <args>` from this checkout: dist/src/cli.js when compiled, else src/cli.ts under tsx. */
export function cliArgs(...args: string[]): string[] {
  return COMPILED ? [join(REPO_ROOT, 'dist', 'src', 'cli.js'), ...args] : ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli.ts'), ...args];
}

/** Node arguments that run a test helper script (`name` without extension, beside this file). */
export function helperScriptArgs(name: string): string[] {
  const path = fileURLToPath(new URL(`./${name}${COMPILED ? '.js' : '.ts'}`, import.meta.url));
  return COMPILED ? [path] : ['--import', 'tsx', path];
}

/** A source module's URL for a worker thread or dynamic import: the compiled .js beside a compiled test. */
export function sourceModuleUrl(pathFromSrc: string): string {
  const base = COMPILED ? join(REPO_ROOT, 'dist', 'src') : join(REPO_ROOT, 'src');
  const file = join(base, pathFromSrc.replace(/\.ts$/, COMPILED ? '.js' : '.ts'));
  return new URL(`file://${file}`).href;
}
