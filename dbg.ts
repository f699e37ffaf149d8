import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { concatPcm } from './src/audio/pcm.js';
import { FliteCore } from './src/engines/tts/flite/flite-core.js';
import { LiveSttPool } from './src/workers/live-stt-pool.js';
import { HARVARD_SENTENCES } from './test/fixtures/harvard-sentences.js';
const flite = await FliteCore.load(mkdtempSync(tmpdir() + '/x'), openSync('/dev/null', 'w'));
const sents = HARVARD_SENTENCES.slice(0, 8).map((t) => { const p: Int16Array[] = []; flite.synthesize(t, 'rms', 1, (c) => (p.push(c.pcm), true)); return concatPcm(p); });
const live = LiveSttPool.start({ threads: 2 });
async function* paced(pcm: Int16Array) { for (let i = 0; i < pcm.length; i += 320) { yield pcm.slice(i, i + 320); await new Promise((r) => setTimeout(r, 20)); } }
for (const n of [8, 1, 2, 4, 8]) {
  const t = await Promise.all(sents.slice(0, n).map(async (pcm) => { let endAt = 0; const src = (async function* () { yield* paced(pcm); endAt = performance.now(); })(); const tr = await live.transcribe(src, 'en', new AbortController().signal); return [performance.now() - endAt, tr.text.slice(0, 30)]; }));
  console.log(n, t.map((x) => Number(x[0]).toFixed(0)).join(' '));
}
await live.close();
