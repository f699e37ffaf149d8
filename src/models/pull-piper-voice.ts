/**
 * `llais models pull piper <name>`: any voice of the published Piper voice list, not only the
 * catalogue's default one. The list (`voices.json` at the same tag as the pinned default voice)
 * is fetched first: it maps each voice name (and its aliases) to its files' paths, sizes and MD5
 * digests, so every download is checked against what the publisher lists. The pair lands flat in
 * `<modelsDir>/piper/`, where a running server picks it up without a restart.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PIPER_VOICES_BASE } from '../engines/tts/catalogue.js';
import { PIPER_MODEL_ID } from '../engines/tts/piper/voice-registry.js';
import { downloadFile } from './download-file.js';
import { ModelsError } from './errors.js';
import { mirrorUrl, type PulledFile, type PullOptions, type PullResult } from './pull.js';

/** The part of one `voices.json` entry this reads. */
interface ListedVoice {
  files: Record<string, { size_bytes?: number; md5_digest?: string }>;
  aliases?: string[];
}

const VOICE_LIST_FILE = 'voices.json';
/** The two files a voice needs; the list also has a MODEL_CARD per voice, not needed to speak. */
const VOICE_FILE = /\.onnx(\.json)?$/;

export async function pullPiperVoice(name: string, opts: PullOptions): Promise<PullResult> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const url = (path: string): string => (opts.mirror ? mirrorUrl(opts.mirror, PIPER_MODEL_ID, path) : `${PIPER_VOICES_BASE}/${path}`);
  const list = await fetchVoiceList(url(VOICE_LIST_FILE), fetchImpl, opts.signal);
  const [key, voice] = findVoice(list, name);
  const dir = join(resolve(opts.modelsDir), PIPER_MODEL_ID);
  await mkdir(dir, { recursive: true });
  const files: PulledFile[] = [];
  const wanted = Object.entries(voice.files).filter(([path]) => VOICE_FILE.test(path));
  if (wanted.length !== 2) throw new ModelsError('no_download_source', `The Piper voice list gives no .onnx/.onnx.json pair for '${key}'.`);
  for (const [path, meta] of wanted) {
    const file = basename(path);
    const dest = join(dir, file);
    const present = await sizeOf(dest);
    if (present !== undefined && present === meta.size_bytes && meta.md5_digest !== undefined && (await md5File(dest)) === meta.md5_digest.toLowerCase()) {
      opts.onProgress?.({ type: 'file.present', file, bytes: present, verified: true });
      files.push({ file, bytes: present, pinned: true, downloaded: false });
      continue;
    }
    const result = await downloadFile(
      { url: url(path), dest, bytes: meta.size_bytes, md5: meta.md5_digest },
      {
        fetchImpl,
        signal: opts.signal,
        hint: `On a machine without internet access, set LLAIS_MODELS_MIRROR to a server holding <base>/${PIPER_MODEL_ID}/${VOICE_LIST_FILE} and <base>/${PIPER_MODEL_ID}/${path}.`,
        onEvent: (e) => {
          if (!opts.onProgress) return;
          if (e.type === 'started') opts.onProgress({ ...e, type: 'file.started', file });
          else opts.onProgress({ ...e, type: 'file.progress', file });
        },
      },
    );
    opts.onProgress?.({ type: 'file.done', file, ...result });
    files.push({ file, ...result, downloaded: true });
  }
  return { id: `${PIPER_MODEL_ID}/${key}`, dir, files, installed: true };
}

async function fetchVoiceList(url: string, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<Record<string, ListedVoice>> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal, redirect: 'follow' });
  } catch (error) {
    throw new ModelsError('network_error', `Could not fetch the Piper voice list from ${url}: ${(error as Error).message}.`, { cause: error });
  }
  if (!res.ok) throw new ModelsError('http_error', `Fetching the Piper voice list from ${url} answered ${res.status}.`);
  try {
    return (await res.json()) as Record<string, ListedVoice>;
  } catch (error) {
    throw new ModelsError('http_error', `The Piper voice list at ${url} is not JSON.`, { cause: error });
  }
}

/** By name, then by alias; an unknown name gets the closest names of the same language. */
function findVoice(list: Record<string, ListedVoice>, name: string): [string, ListedVoice] {
  const direct = list[name];
  if (direct?.files) return [name, direct];
  for (const [key, voice] of Object.entries(list)) {
    if (voice.aliases?.includes(name) && voice.files) return [key, voice];
  }
  const language = name.split('-')[0] ?? '';
  const near = Object.keys(list).filter((k) => language !== '' && k.startsWith(`${language}-`)).slice(0, 8);
  const hint = near.length > 0 ? ` Voices for ${language}: ${near.join(', ')}.` : ` Names look like en_US-lessac-medium (language_REGION-name-quality).`;
  throw new ModelsError('unknown_model', `The published Piper voice list has no voice '${name}'.${hint}`);
}

async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}
