/**
 * How every neural model's onnxruntime session is made: which execution providers, how many
 * threads. One place, so Piper, Kokoro and Whisper follow the same configuration
 * (`onnxProviders`, `onnxThreadsPerSession`) and can be measured the same way.
 */
import { totalmem } from 'node:os';
import * as ort from 'onnxruntime-node';

/** The ONNX part of the server's configuration, as it reaches a worker thread (plain data). */
export interface OnnxSettings {
  /**
   * Execution providers in order of preference (`cpu`, `cuda`, `tensorrt`, `webgpu`, ...);
   * onnxruntime falls back along the list per node. `cpu` is always appended last.
   */
  providers: string[];
  /**
   * Intra-op threads per session. 0 = automatic: 1 on CPU, where each pool worker runs one
   * inference at a time so N workers use N cores without oversubscribing them.
   */
  threadsPerSession: number;
}

export const DEFAULT_ONNX_SETTINGS: OnnxSettings = { providers: ['cpu'], threadsPerSession: 0 };

/** Providers this build of onnxruntime-node can load (`cuda` needs its libraries installed). */
export function supportedProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

/** `cpu,cuda` or a list; unknown names are refused at start, not at first inference. */
export function parseProviders(raw: string | readonly string[]): string[] {
  const names = (typeof raw === 'string' ? raw.split(',') : [...raw]).map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  const known = new Set(supportedProviders());
  for (const name of names) {
    if (!known.has(name)) throw new Error(`config: onnxProviders: '${name}' is not an execution provider of this onnxruntime-node (have: ${[...known].join(', ')})`);
  }
  return names.length === 0 ? ['cpu'] : names;
}

/** True when sessions run on an accelerator: then one session per model is shared, not one per worker. */
export function usesAccelerator(settings: OnnxSettings): boolean {
  return settings.providers.some((p) => p !== 'cpu');
}

export function sessionOptions(settings: OnnxSettings): ort.InferenceSession.SessionOptions {
  const providers = settings.providers.filter((p) => p !== 'cpu');
  return {
    executionProviders: [...providers, 'cpu'],
    intraOpNumThreads: settings.threadsPerSession > 0 ? settings.threadsPerSession : 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/** Creates a session from a file or from bytes already read (and checked) by the caller. */
export function createSession(model: string | Uint8Array, settings: OnnxSettings): Promise<ort.InferenceSession> {
  const options = sessionOptions(settings);
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/**
 * The share of the model memory budget one thread's `SessionCache` gets: each worker thread
 * holds its own sessions, so `budgetMb` (0 = half of this machine's memory) is divided among them.
 */
export function budgetBytesPerThread(budgetMb: number, threads: number): number {
  const total = budgetMb > 0 ? budgetMb * 1024 * 1024 : Math.floor(totalmem() / 2);
  return Math.floor(total / Math.max(1, threads));
}

/** The settings from the server's configuration keys (`onnxProviders`, `onnxThreadsPerSession`). */
export function onnxSettingsFrom(config: { onnxProviders: string; onnxThreadsPerSession: number }): OnnxSettings {
  return { providers: parseProviders(config.onnxProviders), threadsPerSession: Math.max(0, Math.floor(config.onnxThreadsPerSession)) };
}
