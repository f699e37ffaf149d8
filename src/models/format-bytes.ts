/** Sizes for people: decimal units, as Hugging Face and GitHub show file sizes. */

const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB'] as const;

/** `63.2 MB`, `4.9 kB`, `812 bytes`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
