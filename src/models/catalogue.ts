/** Every model `llais models list|pull|remove` manages: speech synthesis and recognition alike. */
import type { SttModelInfo } from '../engines/stt/catalogue.js';
import { STT_MODEL_CATALOGUE } from '../engines/stt/catalogue.js';
import { MODEL_CATALOGUE, type ModelInfo } from '../engines/tts/catalogue.js';

export type CataloguedModel = ModelInfo | SttModelInfo;

export const ALL_MODELS: readonly CataloguedModel[] = [...MODEL_CATALOGUE, ...STT_MODEL_CATALOGUE];
