// ESM throughout: @xenova/transformers is ESM-only, so jest runs with --experimental-vm-modules
// and swc strips types without changing module format. Workflow code is never transformed
// here; the Temporal worker bundles it with its own webpack + swc.
export default {
  // ONNX Runtime hands back Node's typed arrays; see the environment file for why tests need them.
  testEnvironment: '<rootDir>/test/node-realm-environment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.mjs',
  globalTeardown: '<rootDir>/test/global-teardown.mjs',
  testTimeout: 120_000,
};
