/**
 * One audio tool request's work, after its upload is checked: the DSP on a pool worker (raw float
 * stems into a private work folder), then each stem encoded into the result store and recorded as
 * a completed job, so its URL, Range downloads and expiry work exactly like a TTS result's. The work
 * folder is removed whatever happens; a cancelled run leaves no result behind.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { encodeStem, type ToolFormat } from '../audio/tools/stem-encode.js';
import { toolRateHz, toolStems, type ToolSpec } from '../audio/tools/tool-spec.js';
import { nodeIdOf } from '../cluster/cluster-config.js';
import type { ApiContext } from './context.js';
import { resultFileUrl } from './download-url.js';

/** MP3 tops out at 48 kHz; WAV and FLAC keep the source's rate. */
const MP3_MAX_RATE_HZ = 48_000;

export interface ToolInput {
  /** The upload (or its private link, for an async job). */
  path: string;
  spec: ToolSpec;
  format: ToolFormat;
  channels: 1 | 2;
  /** The rate the client gets back: the source's, or the tool's when it adds bandwidth. */
  outRateHz: number;
  clientIp: string;
  /** Credits recorded on the first stem's job row. */
  creditsUsed: number;
  /**
   * Each stem's result uuid (default a fresh one). A queued job derives them from its id, so a
   * second run (at-least-once) writes over the first's files and rows instead of beside them.
   */
  stemUuid?: (stem: string) => string;
}

export interface StoredStem {
  name: string;
  uuid: string;
  format: ToolFormat;
  sizeBytes: number;
  path: string;
}

export interface ToolOutput {
  stems: StoredStem[];
  durationSec: number;
  expiresAt: number;
}

/**
 * This node's work folders: `<data dir>/audio-tools/`, or with a data directory shared by several
 * nodes (LLAIS_SHARED_DATA_DIR) a folder per node id below it, so no node clears another's runs.
 */
function workRoot(ctx: ApiContext): string {
  const root = join(ctx.config.dataDir, 'audio-tools');
  return ctx.config.cluster.sharedDataDir ? join(root, nodeIdOf(ctx.config.cluster)) : root;
}

/** At start, before any run: a stop or crash may have left work folders behind (nothing else owns them). */
export function clearWorkDirs(ctx: ApiContext): void {
  rmSync(workRoot(ctx), { recursive: true, force: true });
}

/** Where a run's raw stems live while it runs (under the data directory: same disk as results). */
export async function makeWorkDir(ctx: ApiContext): Promise<string> {
  const root = workRoot(ctx);
  await mkdir(root, { recursive: true });
  return mkdtemp(join(root, 'run-'));
}

/** Runs the tool; `progress[0]` counts input frames done. Throws the pool's and ffmpeg's errors, or `signal.reason`. */
export async function runTool(ctx: ApiContext, input: ToolInput, workDir: string, signal: AbortSignal, progress?: Int32Array): Promise<ToolOutput> {
  const stems = toolStems(input.spec);
  const rateHz = toolRateHz(input.spec);
  const raw = stems.map((name) => join(workDir, `${name}.f32`));
  const result = await ctx.pool.audioTool(input.path, { kind: 'audio-tool', spec: input.spec, channels: input.channels, outputs: raw, progress }, rateHz, signal);
  const durationSec = result.frames / rateHz;
  const expiresAt = Date.now() + ctx.config.resultTtlSeconds * 1000;
  const outRateHz = input.format === 'mp3' ? Math.min(MP3_MAX_RATE_HZ, input.outRateHz) : input.outRateHz;
  const stored: StoredStem[] = [];
  try {
    for (const [s, name] of stems.entries()) {
      const uuid = input.stemUuid?.(name) ?? randomUUID().replace(/-/g, '');
      const chunks = encodeStem(raw[s]!, { rateHz, channels: input.channels, gainDb: result.gainsDb[s]!, format: input.format, outRateHz }, signal);
      const sizeBytes = await store(ctx, uuid, input.format, chunks);
      stored.push({ name, uuid, format: input.format, sizeBytes, path: (await ctx.results.find(uuid, input.format))!.path });
    }
  } catch (err) {
    await Promise.all(stored.map((s) => ctx.results.remove(s.uuid)));
    throw err;
  }
  // Recorded once every stem is stored: a job row is never left half-made for a restart to find.
  for (const [s, stem] of stored.entries()) {
    if (input.stemUuid && (await ctx.jobs.get(stem.uuid))) continue;
    await ctx.jobs.create({
      uuid: stem.uuid, jobId: randomUUID(), request: { tool: input.spec, stem: stem.name }, model: input.spec.tool, voice: stem.name,
      format: stem.format, chars: 0, creditsUsed: s === 0 ? input.creditsUsed : 0, clientIp: input.clientIp,
    });
    await ctx.jobs.complete(stem.uuid, durationSec, expiresAt);
  }
  return { stems: stored, durationSec, expiresAt };
}

/** Writes the encoded bytes as result `uuid`; a streamed WAV gets its real sizes patched in. */
async function store(ctx: ApiContext, uuid: string, format: ToolFormat, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  const writer = await ctx.results.create(uuid, format);
  let size = 0;
  let head: Uint8Array | undefined;
  try {
    for await (const chunk of chunks) {
      if (!head) head = chunk.subarray(0, 44);
      await writer.write(chunk);
      size += chunk.length;
    }
    if (format === 'wav' && head && size >= 44 && new TextDecoder().decode(head.subarray(36, 40)) === 'data') {
      const sizes = new DataView(new ArrayBuffer(4));
      sizes.setUint32(0, size - 8, true);
      await writer.patch(4, new Uint8Array(sizes.buffer.slice(0)));
      sizes.setUint32(0, size - 44, true);
      await writer.patch(40, new Uint8Array(sizes.buffer.slice(0)));
    }
    await writer.commit();
    return size;
  } catch (err) {
    await writer.discard();
    throw err;
  }
}

/** Removes a run's work folder (raw stems, an async job's input link). */
export async function removeWorkDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** The JSON answer (also an async job's `result`): one URL, or one per stem for separate. */
export async function resultBody(ctx: ApiContext, base: string, tool: string, out: ToolOutput, credits: { used: number; remaining: number | null }): Promise<Record<string, unknown>> {
  const common = { format: out.stems[0]!.format, duration: Math.round(out.durationSec * 1000) / 1000, expires_at: new Date(out.expiresAt).toISOString(), credits_used: credits.used, credits_remaining: credits.remaining };
  const url = (s: ToolOutput['stems'][number]): Promise<string> => resultFileUrl(ctx, base, s.uuid, `output.${s.format}`, out.expiresAt);
  if (tool === 'separate') return { stems: Object.fromEntries(await Promise.all(out.stems.map(async (s) => [s.name, await url(s)]))), ...common };
  const stem = out.stems[0]!;
  return { uuid: stem.uuid, result_url: await url(stem), ...common };
}
