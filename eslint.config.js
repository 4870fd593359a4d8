// One ESLint config for the whole repository: typescript-eslint with type information for the
// TypeScript sources and tests, the recommended rules for the plain .mjs scripts, and
// eslint-config-prettier last so formatting is Prettier's alone (`npm run lint` runs both).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.localdb/**', '.turbo/**', 'coverage/**', '**/src/generated/**'],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    rules: {
      // A leading underscore marks a parameter or binding kept for its position or to omit a key from a rest copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `async` without `await` is how a function keeps a promise contract (an Apollo plugin hook, a
      // context factory): its throws become rejections. Floating and misused promises stay errors.
      '@typescript-eslint/require-await': 'off',
    },
    languageOptions: {
      // Sources belong to their package's tsconfig, tests (excluded there) to tsconfig.test.json.
      parserOptions: {
        project: [
          './packages/*/tsconfig.json',
          './subgraphs/*/tsconfig.json',
          './gateway/tsconfig.json',
          './worker/tsconfig.json',
          './tsconfig.test.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    // Tests read GraphQL responses as untyped JSON and check their shape with assertions, which is
    // the type check there; the no-unsafe-* family would only ask for casts that prove nothing.
    files: ['**/*.test.ts', '**/*.e2e.ts', '**/*.fixture.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }] },
  },
  prettier,
);
