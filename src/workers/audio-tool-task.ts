/**
 * The audio tools (enhance, dereverb, separate) as a pool task: the worker side. The pool decodes
 * the upload with ffmpeg on the main thread's side and sends interleaved s16 PCM at the tool's rate
 * over the task's audio port; each chunk goes through the tool's block stages and straight to one
 * raw float file per stem (interleaved f32), which the main thread then encodes with the gain the
 * run reports. Nothing here holds more than a chunk of the signal. Runs inside `stt-task.ts`'s
 * worker entry; progress (input samples done) is written to a shared counter the pool reads.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

import { buildToolRun } from '../audio/tools/tool-build.js';
import { toolRateHz, toolStems, type ToolSpec } from '../audio/tools/tool-spec.js';
import { toolRun, type ToolRun } from '../audio/tools/tool-run.js';
import { demucsStage } from '../engines/separation/demucs-onnx.js';
import { spleeterStage } from '../engines/separation/spleeter-onnx.js';

export interface AudioToolTaskInput {
  kind: 'audio-tool';
  spec: ToolSpec;
  channels: 1 | 2;
  /** One path per stem, in `toolStems(spec)` order: raw f32le, interleaved, written here. */
  outputs: string[];
  /** [0]: input frames processed so far (Atomics), for progress. */
  progress?: Int32Array;
  /** Set by the pool for a network run: [0] non-zero once cancelled, read between segments. */
  cancelFlag?: Int32Array;
}

/** The tool's run: DSP stages, or a separation network on onnxruntime. */
async function buildRun(task: AudioToolTaskInput): Promise<ToolRun> {
  const { spec } = task;
  if (spec.tool !== 'separate' || spec.stems === 2) return buildToolRun(spec, task.channels);
  const stage =
    'spleeter' in spec
      ? await spleeterStage({ model: spec.spleeter, channels: task.channels, cancelFlag: task.cancelFlag })
      : await demucsStage({ model: spec.model, stems: spec.stems, channels: task.channels, cancelFlag: task.cancelFlag });
  return toolRun(stage, toolStems(spec), task.channels, toolRateHz(spec));
}

export interface AudioToolTaskResult {
  /** Frames (samples per channel) in each output. */
  frames: number;
  /** Gain (dB) to encode each stem with: loudness normalisation and/or the peak guard. */
  gainsDb: number[];
}

/** Runs the tool over the PCM chunks as they arrive; resolves once every output file is complete. */
export async function runAudioTool(task: AudioToolTaskInput, pcm: AsyncIterable<Int16Array>): Promise<AudioToolTaskResult> {
  const run = await buildRun(task);
  const files = task.outputs.map((p) => openSync(p, 'w'));
  let framesIn = 0;
  let framesOut = 0;
  const write = (stems: Float32Array[][]): void => {
    stems.forEach((chs, s) => {
      const length = chs[0]?.length ?? 0;
      const inter = new Float32Array(length * chs.length);
      for (let c = 0; c < chs.length; c++) {
        const ch = chs[c]!;
        for (let i = 0; i < length; i++) inter[i * chs.length + c] = ch[i]!;
      }
      writeSync(files[s]!, new Uint8Array(inter.buffer));
      if (s === 0) framesOut += length;
    });
  };
  try {
    for await (const chunk of pcm) {
      const frames = chunk.length / task.channels;
      const planar = Array.from({ length: task.channels }, (_, c) => {
        const ch = new Float32Array(frames);
        for (let i = 0; i < frames; i++) ch[i] = chunk[i * task.channels + c]! / 32768;
        return ch;
      });
      write(await run.push(planar));
      framesIn += frames;
      if (task.progress) Atomics.store(task.progress, 0, framesIn);
    }
    write(await run.flush());
  } finally {
    for (const f of files) closeSync(f);
  }
  return { frames: framesOut, gainsDb: run.gainsDb() };
}
