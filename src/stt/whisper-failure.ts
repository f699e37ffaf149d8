/**
 * The 424 for a Whisper model whose files cannot be used, said the same way whether the main
 * thread found it at start (configs, tokenizer) or a worker did when loading the graphs.
 */
import { ApiError } from '../errors.js';

/** The model, why, and how to reinstall it. */
export function whisperFailedError(modelId: string, reason: string): ApiError {
  return new ApiError(
    'model_not_installed',
    `Speech-to-text model '${modelId}' failed to load: ${reason}. Reinstall it with \`llais models pull ${modelId}\` and restart, or omit 'model' to use another installed one.`,
    'model',
  );
}
