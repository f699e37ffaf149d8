/**
 * The neural speaker-embedding models `llais models pull` can install for `/v1/voice-embed/`, with
 * the published file layout: the sherpa-onnx exports of WeSpeaker and 3D-Speaker, one `.onnx` each
 * (fbank [B, T, 80] in, embedding [B, D] out; onnx-speaker-embedder.ts). Without one installed,
 * the embedded statistics (voice-profile.ts) serve. No sha256 is pinned: the release states none,
 * so the pull needs `--trust-unpinned` and prints each file's hash (src/models/pull.ts).
 */
import { join } from 'node:path';
import { modelDataDir, type InstallableModel } from '../engines/model-files.js';
import { F5_FILES, type F5Paths } from '../engines/voice/f5-tts.js';

export interface VoiceModelInfo extends InstallableModel {
  type: 'voice';
  /** What the model computes. */
  task: 'speaker-embedding' | 'conversion' | 'cloning';
  /** The `.onnx` file under the model's folder (a speaker model's only file). */
  onnxFile: string;
}

const RELEASE = 'https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models';

function speakerModel(id: string, name: string, file: string): VoiceModelInfo {
  return {
    id,
    name,
    type: 'voice',
    task: 'speaker-embedding',
    onnxFile: file,
    builtin: false,
    install_hint: `llais models pull ${id} --trust-unpinned`,
    files: [file],
    downloads: [{ file, url: `${RELEASE}/${file}` }],
  };
}

/** In order of preference: the first installed one computes embeddings. */
const SPEAKER_MODELS: readonly VoiceModelInfo[] = [
  speakerModel('wespeaker-resnet34', 'WeSpeaker ResNet34 speaker embedding (VoxCeleb, 256-d)', 'wespeaker_en_voxceleb_resnet34.onnx'),
  speakerModel('3dspeaker-campplus', '3D-Speaker CAM++ speaker embedding (VoxCeleb, 512-d)', '3dspeaker_speech_campplus_sv_en_voxceleb_16k.onnx'),
];

/**
 * kNN-VC: upstream (bshall/knn-vc) publishes PyTorch checkpoints only, so the two ONNX files are
 * exported by hand; this is the layout read (src/engines/voice/knn-vc.ts).
 */
export const KNN_VC_FILES = { encoder: 'wavlm-large-layer6.onnx', vocoder: 'prematch-hifigan.onnx' } as const;

export const KNN_VC_MODEL: VoiceModelInfo = {
  id: 'knn-vc',
  name: 'kNN-VC (WavLM-Large layer 6 + prematched HiFi-GAN)',
  type: 'voice',
  task: 'conversion',
  onnxFile: KNN_VC_FILES.encoder,
  builtin: false,
  install_hint: 'llais models pull knn-vc',
  files: [KNN_VC_FILES.encoder, KNN_VC_FILES.vocoder],
  manual_install:
    'export the two networks of bshall/knn-vc (torch.hub) with torch.onnx.export into <modelsDir>/knn-vc/: wavlm-large-layer6.onnx (float32 waveform [1, samples] at 16 kHz -> layer-6 features [1, T, 1024]) and prematch-hifigan.onnx (features [1, T, 1024] -> waveform [1, samples]); see docs/voice-identity.md',
};

/**
 * OpenVoice v2's tone-colour converter: upstream (myshell-ai/OpenVoice, checkpoints_v2/converter)
 * publishes a PyTorch checkpoint only, so the two ONNX files are exported by hand; this is the
 * layout read (src/engines/voice/openvoice.ts).
 */
export const OPENVOICE_FILES = { extractor: 'tone_color_extractor.onnx', converter: 'tone_color_converter.onnx' } as const;

export const OPENVOICE_MODEL: VoiceModelInfo = {
  id: 'openvoice-v2',
  name: 'OpenVoice v2 tone-colour converter (MyShell, MIT)',
  type: 'voice',
  task: 'conversion',
  onnxFile: OPENVOICE_FILES.converter,
  builtin: false,
  install_hint: 'llais models pull openvoice-v2',
  files: [OPENVOICE_FILES.extractor, OPENVOICE_FILES.converter],
  manual_install:
    "load myshell-ai/OpenVoice's checkpoints_v2/converter (ToneColorConverter) and torch.onnx.export into <modelsDir>/openvoice-v2/: tone_color_extractor.onnx (model.ref_enc wrapped to take the linear spectrogram [1, 513, T] (22.05 kHz, n_fft 1024, hop 256, win 1024) and return se [1, 256, 1]) and tone_color_converter.onnx (model.voice_conversion wrapped with tau=0.3 and y_lengths=[T]: inputs spectrogram [1, 513, T], source se [1, 256, 1], target se [1, 256, 1] in that order -> waveform [1, 1, samples] at 22.05 kHz); see docs/voice-identity.md",
};

/**
 * F5-TTS v1 Base zero-shot cloning in DakeQQ/F5-TTS-ONNX's three-graph export (float32
 * transformer, dynamic axes) with the model's own vocab.txt; read by src/engines/voice/f5-tts.ts.
 */
export const F5_TTS_MODEL: VoiceModelInfo = {
  id: 'f5-tts',
  name: 'F5-TTS v1 Base zero-shot cloning (SWivid, ONNX export by DakeQQ/F5-TTS-ONNX)',
  type: 'voice',
  task: 'cloning',
  onnxFile: F5_FILES.transformer,
  builtin: false,
  install_hint: 'llais models pull f5-tts',
  files: [F5_FILES.preprocess, F5_FILES.transformer, F5_FILES.decode, F5_FILES.vocab],
  manual_install:
    'run Export_ONNX/F5_TTS/Export_F5.py of DakeQQ/F5-TTS-ONNX (use_fp16_transformer = False, DYNAMIC_AXES = True, NFE_STEP = 32, FUSE_NFE = 1) on F5TTS_v1_Base/model_1250000.safetensors of huggingface.co/SWivid/F5-TTS with charactr/vocos-mel-24khz, and put F5_Preprocess.onnx, F5_Transformer.onnx, F5_Decode.onnx and F5TTS_v1_Base/vocab.txt into <modelsDir>/f5-tts/; see docs/voice-identity.md',
};

export const VOICE_MODEL_CATALOGUE: readonly VoiceModelInfo[] = [...SPEAKER_MODELS, KNN_VC_MODEL, OPENVOICE_MODEL, F5_TTS_MODEL];

/** The installed F5-TTS files, if any. */
export function installedF5Tts(modelsDir: string): F5Paths | undefined {
  const dir = modelDataDir(F5_TTS_MODEL, modelsDir);
  return dir === undefined ? undefined : { preprocess: join(dir, F5_FILES.preprocess), transformer: join(dir, F5_FILES.transformer), decode: join(dir, F5_FILES.decode), vocab: join(dir, F5_FILES.vocab) };
}

/** The installed OpenVoice files, if any. */
export function installedOpenVoice(modelsDir: string): { extractor: string; converter: string } | undefined {
  const dir = modelDataDir(OPENVOICE_MODEL, modelsDir);
  return dir === undefined ? undefined : { extractor: join(dir, OPENVOICE_FILES.extractor), converter: join(dir, OPENVOICE_FILES.converter) };
}

/** The installed kNN-VC files, if any. */
export function installedKnnVc(modelsDir: string): { encoder: string; vocoder: string } | undefined {
  const dir = modelDataDir(KNN_VC_MODEL, modelsDir);
  return dir === undefined ? undefined : { encoder: join(dir, KNN_VC_FILES.encoder), vocoder: join(dir, KNN_VC_FILES.vocoder) };
}

/** The installed speaker-embedding model that serves, if any: its id and `.onnx` path. */
export function installedSpeakerModel(modelsDir: string): { id: string; path: string } | undefined {
  for (const m of SPEAKER_MODELS) {
    const dir = modelDataDir(m, modelsDir);
    if (dir !== undefined) return { id: m.id, path: join(dir, m.onnxFile) };
  }
  return undefined;
}
