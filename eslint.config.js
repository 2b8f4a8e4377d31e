// ESLint for the whole monorepo, run by `npm run lint` (and so by `npm test`).
//
// Scope: the TypeScript sources and tests of every package and service, the root
// test/ folder and the vitest configs: exactly what tsconfig.test.json type-checks,
// so one TypeScript program serves every file (fast, and the same types as `tsc`).
// Not linted: build output (dist/, build/), the generated protobuf code
// (packages/proto/src/generated/), node_modules and the plain .mjs launchers.
//
// Base: @eslint/js recommended plus typescript-eslint's recommendedTypeChecked.
// The two rules the project exists to enforce are errors (recommendedTypeChecked
// already makes them errors; they are repeated here so that nobody turns them off
// by accident while tuning the base):
//   - no-floating-promises: a promise nobody awaits loses its rejection (an
//     unhandled rejection kills the agent) and its ordering. Where a promise is
//     deliberately not awaited, write `void promise;` with a one-line comment why.
//   - no-misused-promises: an async function passed where a sync callback is
//     expected (an EventEmitter listener, a timer, a gRPC handler typed as void)
//     runs unawaited and its rejection is lost.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/build/**', '**/.cache/**', '**/coverage/**', 'packages/proto/src/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  {
    // Only .ts files are in tsconfig.test.json's program; the hand-written
    // .d.mts declarations of the .mjs test helpers are checked by tsc alone.
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',

      // Off: an `async` method with no `await` is the plain way to implement a
      // Promise-returning interface (SimDmClient, the in-memory catalog device,
      // test doubles). "Fixing" it means dropping `async`, which turns a thrown
      // error into a synchronous throw instead of a rejected promise: a change of
      // behaviour, across ~70 places, with no safety gained.
      '@typescript-eslint/require-await': 'off',

      // Off: gRPC status codes arrive as plain numbers (ServiceError.code, the
      // trailers) and are compared with @grpc/grpc-js's `status` enum on purpose;
      // the rule would want a cast at each comparison and catches nothing here.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',

      // The tree's convention (also honoured by tsc's noUnusedParameters): a name
      // starting with `_` is unused on purpose; `{ dropped: _, ...rest }` omits a key.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // Off in tests only: vitest's asymmetric matchers (expect.stringContaining,
      // expect.objectContaining, expect.any) are typed `any`, so every matcher
      // inside toMatchObject({...}) or toEqual({...}) would need a cast.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
