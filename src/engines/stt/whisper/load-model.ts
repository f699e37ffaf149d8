/**
 * Loads a Whisper export folder (`<models>/whisper-<size>/`) into a model and its tokenizer, or
 * says exactly which file is wrong. Two depths: `checkWhisperFolder` reads only the small files
 * (configs, tokenizer) and is cheap enough for the main thread at start; `loadWhisper` also
 * builds the onnxruntime sessions and checks their signatures against the config, in the worker
 * that will run them. A corrupt, truncated or mismatched file is a `WhisperLoadError` either way.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { createSession, type OnnxSettings } from '../../onnx/settings.js';
import { parseGenerationConfig, parseWhisperConfig, type WhisperExportConfig, type WhisperGenerationConfig } from './export-config.js';
import { exportFiles, type WhisperExportFiles, type WhisperVariantChoice } from './export-files.js';
import { OnnxWhisperModel } from './onnx-model.js';
import { decoderSignature, encoderSignature } from './onnx-signature.js';
import { numLanguagesForVocabSize } from './special-tokens.js';
import { WhisperTokenizer } from './tokenizer.js';
import { vocabularyFromTokenizerJson } from './vocabulary-sources.js';

/** The model's files cannot be used; the message says which and why. */
export class WhisperLoadError extends Error {
  override readonly name = 'WhisperLoadError';
}

/** What the small files of a folder say. */
export interface WhisperFolder {
  files: WhisperExportFiles;
  config: WhisperExportConfig;
  generation: WhisperGenerationConfig;
  tokenizer: WhisperTokenizer;
  /** Bytes of the graphs (and their external weights): the memory their weights take. */
  graphBytes: number;
  /** Changes when any file to load changes (size or time); a new version means a new load. */
  version: string;
}

export interface LoadedWhisper extends WhisperFolder {
  model: OnnxWhisperModel;
}

function fail(error: unknown, file?: string): never {
  if (error instanceof WhisperLoadError) throw error;
  const message = ((error as Error).message ?? String(error)).split('\n')[0]!.trim();
  throw new WhisperLoadError(file === undefined ? message : `${basename(file)}: ${message}`);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    fail(error, path);
  }
}

/** A graph and, when it has one, its `.onnx_data` weights file. */
function graphParts(path: string): string[] {
  const data = `${path}_data`;
  try {
    statSync(data);
    return [path, data];
  } catch {
    return [path];
  }
}

/** Reads and checks the small files of `dir`; throws WhisperLoadError. */
export function checkWhisperFolder(dir: string, variant: WhisperVariantChoice): WhisperFolder {
  let files: WhisperExportFiles;
  try {
    files = exportFiles(dir, variant);
  } catch (error) {
    fail(error);
  }
  let config: WhisperExportConfig;
  try {
    config = parseWhisperConfig(readText(files.config));
  } catch (error) {
    fail(error, files.config);
  }
  let generation: WhisperGenerationConfig = { alignmentHeads: [] };
  if (files.generationConfig !== undefined) {
    try {
      generation = parseGenerationConfig(readText(files.generationConfig), config);
    } catch (error) {
      fail(error, files.generationConfig);
    }
  }
  let tokenizer: WhisperTokenizer;
  try {
    const vocabulary = vocabularyFromTokenizerJson(JSON.parse(readText(files.tokenizer)));
    const numLanguages = numLanguagesForVocabSize(config.vocabSize, vocabulary.eot);
    tokenizer = new WhisperTokenizer(vocabulary, { numLanguages, ...(generation.multilingual !== undefined ? { multilingual: generation.multilingual } : {}) });
  } catch (error) {
    fail(error, files.tokenizer);
  }
  const graphs = [files.encoder, files.decoder, ...(files.decoderWithPast ? [files.decoderWithPast] : [])].flatMap(graphParts);
  const stamps: string[] = [];
  let graphBytes = 0;
  for (const path of [files.config, files.tokenizer, ...(files.generationConfig ? [files.generationConfig] : []), ...graphs]) {
    let s;
    try {
      s = statSync(path);
    } catch (error) {
      fail(error, path);
    }
    if (graphs.includes(path)) {
      if (s.size === 0) throw new WhisperLoadError(`${basename(path)} is empty`);
      graphBytes += s.size;
    }
    stamps.push(`${basename(path)}:${s.size}:${s.mtimeMs}`);
  }
  return { files, config, generation, tokenizer, graphBytes, version: stamps.join('|') };
}

function signature<T>(read: () => T, file: string): T {
  try {
    return read();
  } catch (error) {
    fail(error, file);
  }
}

async function session(path: string, settings: OnnxSettings): Promise<ort.InferenceSession> {
  try {
    return await createSession(path, settings);
  } catch (error) {
    fail(error, path);
  }
}

/** Loads `dir` with sessions made per `settings`; throws WhisperLoadError, releasing what it made. */
export async function loadWhisper(dir: string, variant: WhisperVariantChoice, settings: OnnxSettings): Promise<LoadedWhisper> {
  const folder = checkWhisperFolder(dir, variant);
  const { files, config } = folder;
  const made: ort.InferenceSession[] = [];
  try {
    const encoder = await session(files.encoder, settings);
    made.push(encoder);
    const encoderSig = signature(() => encoderSignature(encoder, config), files.encoder);
    const decoder = await session(files.decoder, settings);
    made.push(decoder);
    const decoderWithPast = files.decoderWithPast === undefined ? decoder : await session(files.decoderWithPast, settings);
    if (decoderWithPast !== decoder) made.push(decoderWithPast);
    const decoderSig = signature(() => decoderSignature(decoder, decoderWithPast, config), files.decoder);
    const sessions = { encoder, decoder, decoderWithPast, encoderSignature: encoderSig, decoderSignature: decoderSig };
    return { ...folder, model: new OnnxWhisperModel(sessions, config, folder.generation.alignmentHeads) };
  } catch (error) {
    await Promise.all(made.map((s) => s.release()));
    fail(error);
  }
}
