/**
 * A ToolSpec made into its ToolRun (the stages, the stems, the encode gains): the one place that
 * knows which chain serves which tool. Runs where the DSP runs (a pool worker).
 */
import { dereverbStage } from '../dereverb/dereverb-chain.js';
import { ENHANCE_TARGET_LUFS, enhanceStage } from '../enhance/enhance-chain.js';
import { loadRnnoise } from '../enhance/rnnoise.js';
import { twoStemStage } from '../separate/separate-chain.js';
import { toolRateHz, toolStems, type ToolSpec } from './tool-spec.js';
import { toolRun, type ToolRun } from './tool-run.js';

export async function buildToolRun(spec: ToolSpec, channels: 1 | 2): Promise<ToolRun> {
  const rate = toolRateHz(spec);
  const stems = toolStems(spec);
  switch (spec.tool) {
    case 'enhance': {
      const normalise = spec.options.clarity ? ENHANCE_TARGET_LUFS : undefined;
      return toolRun(enhanceStage(await loadRnnoise(), channels, spec.options), stems, channels, rate, normalise);
    }
    case 'dereverb':
      return toolRun(dereverbStage(channels, spec.options), stems, channels, rate);
    case 'separate':
      if (spec.stems !== 2) throw new Error('a separation network is built by the worker (audio-tool-task.ts), not here');
      return toolRun(twoStemStage(channels), stems, channels, rate);
  }
}
