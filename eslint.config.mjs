import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Nest resolves constructor parameters by their runtime class: type-only imports would break injection.
    files: ['src/**/*.ts', 'libs/*/src/**/*.module.ts', 'libs/*/src/**/*.service.ts', 'libs/*/src/**/*.controller.ts', 'libs/*/src/**/*.resolver.ts', 'libs/*/src/**/*.handler.ts', 'libs/*/src/**/nest/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['bench/**/*.ts', 'scripts/**/*.ts', 'src/admin-cli.ts'],
    rules: { 'no-console': 'off' },
  },
);
