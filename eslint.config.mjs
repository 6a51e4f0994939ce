// Lint: ESLint's and typescript-eslint's recommended rules, promises that must be awaited (type-aware), and the
// workflow sandbox's import rules. Formatting is prettier's job (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', '.venv/', '.data/', 'bin/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // CommonJS scripts preloaded into Node (bench profiling hook).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        console: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The examples are plain Node.js ES modules.
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits loses its error and its ordering; say `void` where that is meant.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // `any` is at times the honest type (parsed JSON, LangChain generics); the compiler is strict elsewhere.
      '@typescript-eslint/no-explicit-any': 'off',
      // A `let` read by a callback before its assignment (a bus handler, a closure) is meant.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox and its bundle stays small.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'os', 'child_process'],
              message: 'No Node APIs in workflow code.',
            },
            {
              group: ['../activities', '../activities/*', '../worker', '../worker/*'],
              allowTypeImports: true,
              message: 'Workflow code may import only types from activities/ and worker/.',
            },
            {
              group: ['zod', '@langchain/*', 'langchain', 'ajv', 'yaml'],
              allowTypeImports: true,
              message: 'Heavy modules stay out of the workflow bundle.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Not deterministic: use uuid4() or a seeded value from @temporalio/workflow.',
        },
        {
          object: 'Date',
          property: 'now',
          message: 'Workflow code does not read the clock: use workflowInfo() or the input.',
        },
      ],
    },
  },
);
