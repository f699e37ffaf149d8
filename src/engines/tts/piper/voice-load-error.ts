/**
 * A Piper voice's files could not be loaded into an inference session: the voice is broken,
 * not the request or the worker. Its own module so the main thread can recognize it without
 * loading onnxruntime-node.
 */
export class VoiceLoadError extends Error {
  override readonly name = 'VoiceLoadError';
}
