/**
 * One onnxruntime session per model file in this thread, reloaded when the file is replaced (size
 * and mtime change), for engines that keep their one model for the thread's life (speaker
 * embedder, OpenVoice, Demucs). The file's inputs and outputs are counted once at load; each
 * engine words its own errors, since whose fault a bad file is differs by model.
 */
import { statSync } from 'node:fs';
import type * as ort from 'onnxruntime-node';
import { createSession, DEFAULT_ONNX_SETTINGS } from './settings.js';

export interface FileSessionErrors {
  /** The file does not load (truncated, not ONNX). */
  unloadable(cause: unknown): Error;
  /** It loads with other than the expected numbers of inputs and outputs. */
  wrongShape(inputs: number, outputs: number): Error;
}

const sessions = new Map<string, { version: string; session: ort.InferenceSession }>();

export async function fileSession(path: string, shape: { inputs: number; outputs: number }, errors: FileSessionErrors): Promise<ort.InferenceSession> {
  const st = statSync(path);
  const version = `${st.size}:${st.mtimeMs}`;
  const cached = sessions.get(path);
  if (cached?.version === version) return cached.session;
  sessions.delete(path);
  if (cached) await cached.session.release();
  let session: ort.InferenceSession;
  try {
    session = await createSession(path, DEFAULT_ONNX_SETTINGS);
  } catch (error) {
    throw errors.unloadable(error);
  }
  if (session.inputNames.length !== shape.inputs || session.outputNames.length !== shape.outputs) {
    const [inputs, outputs] = [session.inputNames.length, session.outputNames.length];
    await session.release();
    throw errors.wrongShape(inputs, outputs);
  }
  sessions.set(path, { version, session });
  return session;
}
