// ESM throughout: @xenova/transformers is ESM-only, so jest runs with --experimental-vm-modules
// and swc strips types without changing module format. Workflow code is never transformed
// here; the Temporal worker bundles it with its own webpack + swc.
const shared = {
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
};

// Two projects. `unit` needs no Temporal CLI and no server: rules, parsers, the emulator, the CLI's
// refusals before it connects (`npm run test:unit`). `e2e` is every `*.e2e.test.ts`: they share one
// real Temporal dev server, started by the global setup only when an e2e file is selected.
export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.mjs',
      globalTeardown: '<rootDir>/test/global-teardown.mjs',
    },
  ],
  testTimeout: 120_000,
};
