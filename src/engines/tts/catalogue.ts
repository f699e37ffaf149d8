/**
 * Every text-to-speech model the server knows about: the built-in engines that ship in npm
 * (eSpeak NG, Flite, SVOX Pico) and the neural models that must be installed into the models
 * directory first. `GET /v1/models/` lists this catalogue; tiers and credit rates follow the
 * credits table of the API contract (free 1, standard 2, premium 4 credits per 1,000 chars).
 */
import type { InstallableModel } from '../model-files.js';

export interface ModelInfo extends InstallableModel {
  type: 'tts';
  tier: 'free' | 'standard' | 'premium';
  /** Primary language codes (ISO 639-1 where one exists, else 639-3). */
  languages: string[];
  supports_cloning: boolean;
  supports_streaming: boolean;
  credits_per_1k_chars: number;
  /**
   * The form of this model's voice ids, so that a request naming one while the model is not
   * installed gets "install <model>" (424) rather than "unknown voice" (400).
   */
  voice_pattern?: RegExp;
}

/** eSpeak NG's languages (primary subtags of its voices), as read from espeak-ng.data 0.3.5. */
const ESPEAK_LANGUAGES = [
  'af', 'am', 'an', 'ar', 'as', 'az', 'ba', 'be', 'bg', 'bn', 'bpy', 'bs', 'ca', 'chr', 'cmn', 'cs',
  'cv', 'cy', 'da', 'de', 'el', 'en', 'eo', 'es', 'et', 'eu', 'fa', 'fi', 'fo', 'fr', 'ga', 'gd',
  'gn', 'grc', 'gu', 'hak', 'haw', 'he', 'hi', 'hr', 'ht', 'hu', 'hy', 'hyw', 'ia', 'id', 'io', 'is',
  'it', 'ja', 'jbo', 'ka', 'kaa', 'kk', 'kl', 'kn', 'ko', 'kok', 'ku', 'ky', 'la', 'lb', 'lfn', 'lt',
  'ltg', 'lv', 'mi', 'mk', 'ml', 'mr', 'ms', 'mt', 'mto', 'my', 'nb', 'nci', 'ne', 'nl', 'nog', 'om',
  'or', 'pa', 'pap', 'piqd', 'pl', 'pt', 'py', 'qdb', 'qu', 'quc', 'qya', 'ro', 'ru', 'sd', 'shn', 'si',
  'sjn', 'sk', 'sl', 'smj', 'sq', 'sr', 'sv', 'sw', 'ta', 'te', 'th', 'ti', 'tk', 'tn', 'tr', 'tt',
  'ug', 'uk', 'ur', 'uz', 'vi', 'xex', 'yue',
];

/** Piper's published voice languages (rhasspy/piper-voices). */
const PIPER_LANGUAGES = [
  'ar', 'ca', 'cs', 'cy', 'da', 'de', 'el', 'en', 'es', 'fa', 'fi', 'fr', 'hu', 'is', 'it', 'ka', 'kk',
  'lb', 'lv', 'ne', 'nl', 'no', 'pl', 'pt', 'ro', 'ru', 'sk', 'sl', 'sr', 'sv', 'sw', 'tr', 'uk', 'vi', 'zh',
];

const KOKORO_RELEASE = 'https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0';
/** The tag of the published Piper voices that VOICES.md links to; `voices.json` there lists every voice. */
export const PIPER_VOICES_BASE = 'https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0';

export const MODEL_CATALOGUE: readonly ModelInfo[] = [
  {
    id: 'espeak',
    name: 'eSpeak NG',
    type: 'tts',
    tier: 'free',
    languages: ESPEAK_LANGUAGES,
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: true,
  },
  {
    id: 'flite',
    name: 'CMU Flite',
    type: 'tts',
    tier: 'free',
    languages: ['en'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: true,
  },
  {
    id: 'pico',
    name: 'SVOX Pico',
    type: 'tts',
    tier: 'free',
    languages: ['en', 'de', 'es', 'fr', 'it'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: true,
    // The engine is in npm, its language data is not. US English is the minimum; every other
    // language whose two files are present is offered too.
    install_hint:
      'apt install libttspico-data (Debian non-free), or copy the SVOX Pico lingware (pico/lang/*_ta.bin and *_sg.bin from the picotts sources) into <modelsDir>/pico/',
    files: ['en-US_ta.bin', 'en-US_lh0_sg.bin'],
    data_dirs: ['/usr/share/pico/lang'],
  },
  {
    id: 'kokoro',
    name: 'Kokoro 82M v1.0',
    type: 'tts',
    tier: 'standard',
    languages: ['en', 'es', 'fr', 'hi', 'it', 'ja', 'pt', 'zh'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 2,
    builtin: false,
    install_hint: 'llais models pull kokoro',
    files: ['kokoro-v1.0.onnx', 'voices-v1.0.bin'],
    // Language letter (a, b: American, British English; e, f, h, i, j, p, z), gender, name: af_bella;
    // or a mix of them, optionally weighted: af_bella(2)+af_sky(1).
    voice_pattern: /^[abefhijpz][fm]_[a-z]+(\(\s*[0-9.]+\s*\))?(\s*[+,]\s*[abefhijpz][fm]_[a-z]+(\(\s*[0-9.]+\s*\))?)*$/,
    // kokoro-onnx's release of the v1.0 weights. Sizes and hashes as pinned alike by many
    // independent projects that download these exact URLs (GitHub publishes no digest).
    downloads: [
      {
        file: 'kokoro-v1.0.onnx',
        url: `${KOKORO_RELEASE}/kokoro-v1.0.onnx`,
        sha256: '7d5df8ecf7d4b1878015a32686053fd0eebe2bc377234608764cc0ef3636a6c5',
        bytes: 325_532_387,
      },
      {
        file: 'voices-v1.0.bin',
        url: `${KOKORO_RELEASE}/voices-v1.0.bin`,
        sha256: 'bca610b8308e8d99f32e6fe4197e7ec01679264efed0cac9140fe9c29f1fbf7d',
        bytes: 28_214_398,
      },
    ],
  },
  {
    id: 'piper',
    name: 'Piper',
    type: 'tts',
    tier: 'free',
    languages: PIPER_LANGUAGES,
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    install_hint: 'llais models pull piper',
    files: ['*.onnx', '*.onnx.json'],
    // Piper's voice file names: language_REGION-name-quality, e.g. en_US-lessac-medium; a
    // multi-speaker voice's speakers are `<name>:<speaker>` (en_GB-vctk-medium:p239).
    voice_pattern: /^[a-z]{2,3}_[A-Z]{2}-[A-Za-z0-9_]+-(x_low|low|medium|high)(:.+)?$/,
    // The default voice, from the v1.0.0 tag that Piper's VOICES.md links to. Sizes from the
    // repository's voices.json; hashes as pinned alike by many projects using these files.
    downloads: [
      {
        file: 'en_US-lessac-medium.onnx',
        url: `${PIPER_VOICES_BASE}/en/en_US/lessac/medium/en_US-lessac-medium.onnx`,
        sha256: '5efe09e69902187827af646e1a6e9d269dee769f9877d17b16b1b46eeaaf019f',
        bytes: 63_201_294,
      },
      {
        file: 'en_US-lessac-medium.onnx.json',
        url: `${PIPER_VOICES_BASE}/en/en_US/lessac/medium/en_US-lessac-medium.onnx.json`,
        sha256: 'efe19c417bed055f2d69908248c6ba650fa135bc868b0e6abb3da181dab690a0',
        bytes: 4_885,
      },
    ],
  },
  {
    id: 'melotts',
    name: 'MeloTTS',
    type: 'tts',
    tier: 'free',
    languages: ['en', 'es', 'fr', 'zh', 'ja', 'ko'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    install_hint: 'llais models pull melotts',
    files: ['model.onnx', 'tokens.txt', 'lexicon.txt'],
  },
  {
    id: 'vits',
    name: 'VITS (LJSpeech / VCTK)',
    type: 'tts',
    tier: 'free',
    languages: ['en'],
    supports_cloning: false,
    supports_streaming: true,
    credits_per_1k_chars: 1,
    builtin: false,
    install_hint: 'llais models pull vits',
    files: ['model.onnx', 'tokens.txt'],
  },
  {
    id: 'cosyvoice2',
    name: 'CosyVoice 2 0.5B',
    type: 'tts',
    tier: 'standard',
    languages: ['zh', 'en', 'ja', 'ko', 'yue'],
    supports_cloning: true,
    supports_streaming: true,
    credits_per_1k_chars: 2,
    builtin: false,
    install_hint: 'llais models pull cosyvoice2',
    files: ['cosyvoice2.yaml', 'llm.pt', 'flow.pt', 'hift.pt', 'campplus.onnx', 'speech_tokenizer_v2.onnx'],
    // Loading also needs spk2info.pt and the CosyVoice-BlankEN/ folder (a Qwen tokenizer and
    // weights) of the same repository, whose file list is not pinned here yet.
    manual_install:
      'download the whole Hugging Face repository FunAudioLLM/CosyVoice2-0.5B into <modelsDir>/cosyvoice2/, e.g. `huggingface-cli download FunAudioLLM/CosyVoice2-0.5B --local-dir <modelsDir>/cosyvoice2`; besides the files that mark it installed it holds spk2info.pt and the CosyVoice-BlankEN/ folder, which loading also needs',
  },
  {
    id: 'gpt-sovits',
    name: 'GPT-SoVITS v2',
    type: 'tts',
    tier: 'standard',
    languages: ['zh', 'en', 'ja', 'ko', 'yue'],
    supports_cloning: true,
    supports_streaming: true,
    credits_per_1k_chars: 2,
    builtin: false,
    install_hint: 'llais models pull gpt-sovits',
    files: ['s1v3.ckpt', 's2G488k.pth', 'chinese-hubert-base/pytorch_model.bin', 'chinese-roberta-wwm-ext-large/pytorch_model.bin'],
    // The project's own Hugging Face repository; the two encoders need their configs too.
    downloads: [
      's1v3.ckpt',
      's2G488k.pth',
      'chinese-hubert-base/pytorch_model.bin',
      'chinese-hubert-base/config.json',
      'chinese-hubert-base/preprocessor_config.json',
      'chinese-roberta-wwm-ext-large/pytorch_model.bin',
      'chinese-roberta-wwm-ext-large/config.json',
      'chinese-roberta-wwm-ext-large/tokenizer.json',
    ].map((file) => ({ file, url: `https://huggingface.co/lj1995/GPT-SoVITS/resolve/main/${file}` })),
  },
  {
    id: 'chatterbox',
    name: 'Chatterbox',
    type: 'tts',
    tier: 'premium',
    languages: ['en'],
    supports_cloning: true,
    supports_streaming: true,
    credits_per_1k_chars: 4,
    builtin: false,
    install_hint: 'llais models pull chatterbox',
    files: ['t3_cfg.safetensors', 's3gen.safetensors', 've.safetensors', 'tokenizer.json', 'conds.pt'],
    // The files `ChatterboxTTS.from_pretrained` fetches from Resemble AI's repository.
    downloads: ['t3_cfg.safetensors', 's3gen.safetensors', 've.safetensors', 'tokenizer.json', 'conds.pt'].map((file) => ({
      file,
      url: `https://huggingface.co/ResembleAI/chatterbox/resolve/main/${file}`,
    })),
  },
  {
    id: 'tortoise',
    name: 'Tortoise TTS',
    type: 'tts',
    tier: 'premium',
    languages: ['en'],
    supports_cloning: true,
    supports_streaming: false,
    credits_per_1k_chars: 4,
    builtin: false,
    install_hint: 'llais models pull tortoise',
    files: ['autoregressive.pth', 'diffusion_decoder.pth', 'clvp2.pth', 'vocoder.pth'],
    // Where tortoise-tts's own download_models() fetches them from.
    downloads: ['autoregressive.pth', 'diffusion_decoder.pth', 'clvp2.pth', 'vocoder.pth'].map((file) => ({
      file,
      url: `https://huggingface.co/jbetker/tortoise-tts-v2/resolve/main/.models/${file}`,
    })),
  },
];
