/**
 * Proves, before the server listens, that the configured execution providers really run: an
 * accelerator whose libraries or device are missing makes onnxruntime fail every session, so a
 * server that found out only at the first request would answer 424s (or, falling back silently,
 * run on the CPU while its operator measures "GPU" figures). One Relu node is enough to make
 * onnxruntime initialise each provider.
 */
import * as ort from 'onnxruntime-node';
import { sessionOptions, type OnnxSettings } from './settings.js';

/** `y = Relu(x)`, float32 [1]: the smallest graph every provider runs (made with onnx-proto). */
const PROBE_MODEL = Buffer.from('CAgSBWxsYWlzOj0KEgoBeBIBeRoEcmVsdSIEUmVsdRIFcHJvYmVaDwoBeBIKCggIARIECgIIAWIPCgF5EgoKCAgBEgQKAggBQgQKABAN', 'base64');

/** What to do about a provider that failed, by name; the message says the rest. */
const FIXES: Record<string, string> = {
  cuda: 'install the CUDA 12 and cuDNN 9 libraries onnxruntime-node needs and reinstall it without ONNXRUNTIME_NODE_INSTALL_CUDA=skip, or set LLAIS_ONNX_PROVIDERS=cpu',
  tensorrt: 'install TensorRT and the CUDA libraries onnxruntime-node needs, or set LLAIS_ONNX_PROVIDERS=cpu',
  webgpu: 'run on a machine with a WebGPU-capable GPU and driver, or set LLAIS_ONNX_PROVIDERS=cpu',
};

/** Throws an Error naming the provider that cannot run and the fix; resolves when all run. */
export async function probeProviders(settings: OnnxSettings): Promise<void> {
  for (const provider of settings.providers.filter((p) => p !== 'cpu')) {
    let session: ort.InferenceSession | undefined;
    try {
      session = await ort.InferenceSession.create(PROBE_MODEL, { ...sessionOptions({ ...settings, providers: [provider] }), executionProviders: [provider] });
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1), [1]) });
      if ((out.y?.data as Float32Array | undefined)?.[0] !== 0) throw new Error('the probe model gave a wrong answer');
    } catch (error) {
      const reason = ((error as Error).message.split('\n')[0] ?? '').trim();
      const fix = FIXES[provider] ?? 'check that onnxruntime-node was built with it, or set LLAIS_ONNX_PROVIDERS=cpu';
      throw new Error(`onnxProviders: the '${provider}' execution provider cannot run on this machine (${reason}). To fix: ${fix}.`);
    } finally {
      await session?.release();
    }
  }
}
