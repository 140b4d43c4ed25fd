import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox: no Node built-ins there.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const sandboxMessage = 'Workflow code runs in a deterministic sandbox: move Node APIs into an activity.';

/**
 * Layering (README, "Layout"): a pattern per top-level folder an import may not reach. Matches a
 * relative import of that folder from anywhere below the repo root, e.g. `../activities/x.js` or
 * `../../node/paths.js`.
 */
const folder = (name, message, extra = {}) => ({
  regex: `^(\\.\\./)+${name}/`,
  message,
  ...extra,
});
const NODE_SIDE = 'is Node-side code; workflows and shared/ must stay sandbox-safe.';

/** One `no-restricted-imports` setting per folder: flat config replaces (not merges) a rule's options. */
const restrictImports = ({ builtins = false, patterns }) => [
  'error',
  {
    ...(builtins ? { paths: nodeBuiltins.map((name) => ({ name, message: sandboxMessage })) } : {}),
    patterns,
  },
];

const sandboxBans = ['worker', 'client', 'node', 'emulator', 'scripts', 'bench', 'test'].map((name) =>
  folder(name, `${name}/ ${NODE_SIDE}`)
);
const activityTypesOnly = folder('activities', `activities/ ${NODE_SIDE} Import their types only (import type).`, {
  allowTypeImports: true,
});

// shared/ imports only itself, @temporalio/workflow and @temporalio/common (sandbox-safe packages).
const sharedOnly = {
  regex: '^(?!\\.{1,2}/|@temporalio/(workflow|common)$)',
  message: 'shared/ is sandbox-safe: it imports only itself, @temporalio/workflow and @temporalio/common.',
};

export default tseslint.config(
  { ignores: ['node_modules', '.tools', '.data', 'out', 'models', 'bench/models', 'coverage'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true },
    },
    rules: {
      // Forgetting to await activities and workflow APIs is a real bug in Temporal code.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'object-shorthand': 'error',
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: {
      // Follow `.js` specifiers to the `.ts` sources, as tsc does (nodenext).
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  {
    // Workflows proxy activities by their types only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        builtins: true,
        patterns: [activityTypesOnly, ...sandboxBans],
      }),
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        builtins: true,
        patterns: [
          folder('activities', `activities/ ${NODE_SIDE}`),
          folder('workflows', 'shared/ imports nothing outside shared/.'),
          ...sandboxBans,
          sharedOnly,
        ],
      }),
    },
  },
  {
    // Node-side code shared by the worker, the CLI and activities: it depends on none of them.
    files: ['node/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: ['activities', 'worker', 'client', 'workflows', 'emulator', 'scripts', 'bench', 'test'].map((name) =>
          folder(name, `node/ is the bottom Node-side layer: it must not import ${name}/.`)
        ),
      }),
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: ['worker', 'client'].map((name) =>
          folder(name, `Activities must not import ${name}/: move what both need to node/.`)
        ),
      }),
    },
  },
  {
    // Who won and why has one home (shared/decision/winner.ts): the CLI explains with it, not with the writer's code.
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [
          folder(
            'activities/outputs',
            'client/ must not import the output writer: what both need (the winner, its explanation) lives in shared/.'
          ),
        ],
      }),
    },
  },
  {
    files: ['worker/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [folder('client', 'The worker must not import client/: move what both need to node/.')],
      }),
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: [folder('test', 'The bench must not import test/: tests may use bench helpers, not the reverse.')],
      }),
    },
  },
  {
    // The emulator stands in for Segmind: it shares no code with the pipeline it tests.
    files: ['emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports({
        patterns: ['shared', 'activities', 'client', 'worker', 'workflows', 'node'].map((name) =>
          folder(name, `The emulator is a stand-alone fake of Segmind: it must not import ${name}/.`)
        ),
      }),
    },
  },
  {
    // jest's asymmetric matchers are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', globalThis: 'readonly' },
    },
  }
);
