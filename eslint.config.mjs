import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // What git ignores is not the project's code: servers' files, test and benchmark scratch, the corpus copies.
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'data/**',
      '**/*.cjs',
      '.eddy-tmp/**',
      '.infra/**',
      '.corpus/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // jest reads its configuration as CommonJS.
    files: ['jest.config.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['bench/**/*.ts', 'scripts/**/*.ts', 'src/admin-cli.ts'],
    rules: { 'no-console': 'off' },
  },
);
