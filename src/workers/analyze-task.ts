/**
 * The music analysis as a pool task (`POST /v1/audio/analyze/`): the worker side of it. The pool
 * decodes the upload with ffmpeg on the main thread's side and sends mono PCM at
 * ANALYSIS_SAMPLE_RATE_HZ over the task's audio port, as for a transcription; the analyzer keeps
 * only its features, never the signal. Runs inside `stt-task.ts`'s worker entry.
 */
import { MusicAnalyzer, type MusicAnalysis } from '../audio/analysis/analyzer.js';

export { ANALYSIS_SAMPLE_RATE_HZ } from '../audio/analysis/analyzer.js';

/** An analysis: everything it needs arrives as PCM on the task's audio port. */
export interface AnalyzeTaskInput {
  kind: 'analyze';
}

export type AnalyzeTaskResult = MusicAnalysis;

/** Analyses the PCM chunks as they arrive; resolves once the stream has ended. */
export async function analyzePcm(pcm: AsyncIterable<Int16Array>): Promise<AnalyzeTaskResult> {
  const analyzer = new MusicAnalyzer();
  for await (const chunk of pcm) analyzer.push(chunk);
  return analyzer.finish();
}
