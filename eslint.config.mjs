// Lint gate: typescript-eslint's type-checked recommended rules (a floating promise is a lost error or an unawaited
// write), plus the boundaries between apps and packages.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { noCrossAppImport } from './scripts/eslint/no-cross-app-import.mjs';

const APPS = ['admin', 'cli', 'intake', 'supervisor', 'worker'];

/** What the pure domain core must never import: I/O libraries and the rest of our packages. */
const IO_LIBRARIES = [
  'express', 'bullmq', 'ioredis', 'pg', 'mongoose', 'mongodb', 'prom-client', 'rate-limiter-flexible', '@sentry/node', 'undici', 'autocannon',
  ...['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'child_process', 'cluster', 'worker_threads'].flatMap((m) => [m, `node:${m}`]),
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // Each workspace's build project, then the one that type-checks every test and test helper (they are no
        // part of any build).
        project: ['./packages/*/tsconfig.json', './apps/*/tsconfig.json', './apps/admin/web/tsconfig.json', './scripts/tsconfig.json', './scripts/baseline/tsconfig.json', './test/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { dropgate: { rules: { 'no-cross-app-import': noCrossAppImport } } },
    rules: {
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'dropgate/no-cross-app-import': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: APPS.map((app) => `@dropgate/${app}`), message: 'apps are processes, not libraries: share code through a package.' }] }],
    },
  },
  {
    files: ['packages/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_LIBRARIES.map((name) => ({ name, message: 'packages/core is the pure domain: no I/O.' })),
          patterns: [{ group: ['@dropgate/*'], message: 'packages/core imports none of our packages: they depend on it.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
  },
);
