/** Every model `llais models list|pull|remove` manages: speech synthesis and recognition alike. */
import type { SttModelInfo } from '../engines/stt/catalogue.js';
import { STT_MODEL_CATALOGUE } from '../engines/stt/catalogue.js';
import { MODEL_CATALOGUE, type ModelInfo } from '../engines/tts/catalogue.js';
import { VOICE_MODEL_CATALOGUE, type VoiceModelInfo } from '../voice/voice-models.js';
import { SEPARATION_MODEL_CATALOGUE, type SeparationModelInfo } from '../engines/separation/catalogue.js';

export type CataloguedModel = ModelInfo | SttModelInfo | VoiceModelInfo | SeparationModelInfo;

export const ALL_MODELS: readonly CataloguedModel[] = [...MODEL_CATALOGUE, ...STT_MODEL_CATALOGUE, ...VOICE_MODEL_CATALOGUE, ...SEPARATION_MODEL_CATALOGUE];
