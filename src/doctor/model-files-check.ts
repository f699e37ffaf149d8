/**
 * Whether installed neural TTS files can be used, with the checks their engines run when they
 * find them (ONNX signatures read without loading weights, voice tables parsed): every Piper
 * voice pair, and Kokoro's model and voice files. A file that fails makes requests for it answer
 * 424, so it is a FAIL here, named with the engine's own reason. Whisper's graphs are checked
 * when a worker loads them, which doctor does not do.
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import { checkModelFile, presentModelFiles, presentVoiceFiles, readVoiceFile } from '../engines/tts/kokoro/model-files.js';
import { KOKORO_MODEL_ID } from '../engines/tts/kokoro/registry.js';
import { checkVoiceFile, listVoiceNames } from '../engines/tts/piper/voice-files.js';
import { PIPER_MODEL_ID } from '../engines/tts/piper/voice-registry.js';
import { fail, ok, type CheckResult } from './check.js';

/** Findings for the Piper voices and the Kokoro files present; none when neither is installed. */
export function modelFilesChecks(config: Config): CheckResult[] {
  return [...piperChecks(join(config.modelsDir, PIPER_MODEL_ID)), ...kokoroChecks(join(config.modelsDir, KOKORO_MODEL_ID))];
}

function piperChecks(dir: string): CheckResult[] {
  const names = listVoiceNames(dir);
  if (names.length === 0) return [];
  const failed = names.map((name) => checkVoiceFile(dir, name)).flatMap((v) => (v.state.kind === 'failed' ? [{ name: v.name, reason: v.state.reason }] : []));
  const results = failed.map((f) =>
    fail('model piper', `voice ${f.name} in ${dir} cannot be used: ${f.reason}`, `llais models pull piper ${f.name} fetches it again (a voice of the published list), or delete ${f.name}.onnx and ${f.name}.onnx.json`),
  );
  if (failed.length < names.length) results.unshift(ok('model piper', `${names.length - failed.length} of ${names.length} voices in ${dir} usable`));
  return results;
}

function kokoroChecks(dir: string): CheckResult[] {
  const models = presentModelFiles(dir);
  const voiceFiles = presentVoiceFiles(dir);
  if (models.length === 0 && voiceFiles.length === 0) return [];
  const refetch = 'llais models pull kokoro fetches the files again (delete the broken one first)';
  const checked = models.map((file) => checkModelFile(dir, file));
  const usable = checked.find((c) => c.state.kind === 'ready');
  const results: CheckResult[] = [];
  if (!usable) {
    const reasons = checked.map((c) => (c.state.kind === 'failed' ? c.state.reason : c.file)).join('; ');
    results.push(fail('model kokoro', models.length === 0 ? `no model file in ${dir}` : `no usable model file in ${dir}: ${reasons}`, refetch));
  }
  let voices = 0;
  for (const file of voiceFiles) {
    const read = readVoiceFile(dir, file);
    if (read.state.kind === 'failed') results.push(fail('model kokoro', `a voice file in ${dir} cannot be used: ${read.state.reason}`, refetch));
    else voices += read.state.value.size;
  }
  if (voiceFiles.length === 0) results.push(fail('model kokoro', `no voice file in ${dir} (voices-v1.0.bin, or voices/*.bin)`, refetch));
  if (usable && results.length === 0) results.push(ok('model kokoro', `${usable.file} usable, ${voices} voices`));
  return results;
}
