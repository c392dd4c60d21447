// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * Layers run one way (bottom to top): kernel → db → auth → graphql → core → modules → http and
 * the entry points (app, main, cli, service-graph). A file may import from its own layer and the
 * layers below it, never above; `npm run check:cycles` (madge) proves there are no cycles, and
 * `npm run check:features` that features do not import each other in a cycle.
 */
const LAYERS = ['kernel', 'db', 'auth', 'graphql', 'core', 'modules', 'http'];
const TOP = ['app', 'main', 'cli', 'service-graph'];
const above = (layer) => [...LAYERS.slice(LAYERS.indexOf(layer) + 1), ...TOP];
/**
 * graphql-jit writes parts of the document it compiles into generated JavaScript, so it is
 * imported in one file only: the compile seam, which proves each document holds names only.
 */
const CODE_GENERATORS = [
  {
    name: 'graphql-jit',
    message: 'Compile through src/graphql/compiled/compile-seam.ts: it proves no client text reaches generated code.',
  },
];
const layerRule = (layer, files = [`src/${layer}/**/*.ts`], paths = CODE_GENERATORS) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths,
        // Relative paths only: a package of the same name (graphql) is not a layer.
        patterns: above(layer).map((upper) => ({
          regex: `^(\\.\\./)+${upper}(/|$)`,
          message: `${layer} sits below ${upper}: import downwards only (see eslint.config.mjs).`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'dist.building-*/**',
      'test/generated/**',
      '.data/**',
      'coverage/**',
      'console/dist/**',
      'console/src/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Lists of entity and resolver classes are typed as Function, as TypeORM and type-graphql take them.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // A variable a closure reads before its one assignment cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Jest's setup files and configs are plain CommonJS run by Node.
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Node scripts that must run as ES modules (the loopback OpenID provider of the tests).
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The console runs in the browser (and its Vite config in Node, as an ES module).
    files: ['console/**/*.{ts,tsx,mts}'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        navigator: 'readonly',
        localStorage: 'readonly',
        fetch: 'readonly',
        URLSearchParams: 'readonly',
      },
    },
    rules: { 'max-lines': ['error', { max: 300 }] },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
      // Source text built at run time is reviewed where it is made (db/row-shape.ts, the compile seam).
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      // An object literal's getter is a new closure each time: V8 keeps the object in dictionary
      // mode with accessor pairs made in old space, which keep what the getter sees alive through
      // every scavenge (docs/hot-path.md, "Garbage"). A class's getters are shared.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ObjectExpression > Property[kind='get'], ObjectExpression > Property[kind='set']",
          message: 'No getters or setters in object literals: use a class (docs/hot-path.md, "Garbage").',
        },
      ],
    },
  },
  ...LAYERS.map((layer) => layerRule(layer)),
  layerRule(
    'http',
    TOP.map((entry) => `src/${entry}.ts`),
  ),
  layerRule('graphql', ['src/graphql/compiled/compile-seam.ts'], []),
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
