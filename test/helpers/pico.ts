/**
 * SVOX Pico's lingware is not in npm. Tests find a copy where Debian's `libttspico-data`
 * (non-free) installs it, in the repository's `models/pico/`, or where LLAIS_TEST_PICO_DIR says,
 * and run the Pico engine only when one is there.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const PICO_SKIP_REASON = 'pico lingware not found (apt install libttspico-data from Debian non-free, or set LLAIS_TEST_PICO_DIR)';

/** A directory holding `en-US_ta.bin` and the rest, or undefined. */
export function findPicoLingware(): string | undefined {
  const candidates = [process.env.LLAIS_TEST_PICO_DIR, '/usr/share/pico/lang', join(process.cwd(), 'models', 'pico')];
  return candidates.find((dir): dir is string => dir !== undefined && dir !== '' && existsSync(join(dir, 'en-US_ta.bin')));
}

/** Makes `<modelsDir>/pico` the found lingware; returns its directory, or undefined when there is none. */
export function linkPicoLingware(modelsDir: string): string | undefined {
  const dir = findPicoLingware();
  if (!dir) return undefined;
  mkdirSync(modelsDir, { recursive: true });
  symlinkSync(dir, join(modelsDir, 'pico'));
  return dir;
}
