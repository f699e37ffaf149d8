/** Plain-text output for benchmarks: aligned tables, number formats and target verdicts. */

/** Prints rows under a header, each column padded to its widest cell; numbers align right. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.]+(?:\s?[a-z%×]+)?$|^-$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Milliseconds with one decimal. */
export function ms(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : '-';
}

export function ratio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : '-';
}

/** A target's verdict: benchmarks report misses, they never fail on them. */
export function verdict(pass: boolean): 'PASS' | 'MISS' {
  return pass ? 'PASS' : 'MISS';
}

export function heading(title: string): void {
  console.log(`\n== ${title} ==`);
}
