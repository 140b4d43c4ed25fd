// Test environment for files that run ONNX Runtime. Jest runs tests in a VM context whose typed-array
// classes differ from Node's own; onnxruntime-node hands back outputs as Node's Float32Array and
// onnxruntime-common, evaluated inside the context, rejects them ("A float32 tensor's data must be
// type of function Float32Array()"). Giving the context Node's classes makes both sides agree.
// Production code runs in a single realm and needs nothing of the kind.
import { TestEnvironment } from 'jest-environment-node';

const SHARED_GLOBALS = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

export default class NodeRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_GLOBALS) this.global[name] = globalThis[name];
  }
}
