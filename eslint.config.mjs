import nx from '@nx/eslint-plugin';

// Services talk only over Kafka: a service may import libs, never another service.
// Libs are layered: domain (pure) <- contracts <- messaging/service-kit; the testing lib is for tests only.
const depConstraints = [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  // The browser front end: the contracts' plain data and types, pure domain code, nothing that runs on a server.
  { sourceTag: 'type:web', onlyDependOnLibsWithTags: ['layer:contracts', 'layer:domain'] },
  // Domain code (the billing and QC rules) reads the contracts' types: a charge's fields are defined once,
  // in libs/contracts (zod), and the rules' shapes are derived from them. So contracts no longer depend on
  // domain code (they never did: that direction would now be a cycle).
  { sourceTag: 'layer:domain', onlyDependOnLibsWithTags: ['layer:domain', 'layer:contracts'] },
  { sourceTag: 'layer:contracts', onlyDependOnLibsWithTags: ['layer:contracts'] },
  { sourceTag: 'layer:infra', onlyDependOnLibsWithTags: ['layer:domain', 'layer:contracts', 'layer:infra'] },
  { sourceTag: 'layer:testing', onlyDependOnLibsWithTags: ['layer:domain', 'layer:contracts', 'layer:infra'] },
];
const testFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/*.browser-spec.ts', 'e2e/src/browser/**/*.ts', '**/test/**/*.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/generated/**', '**/.nx', 'tmp/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      // Production code never imports the testing lib (Nx's notDependOnLibsWithTags would also follow
      // the libs' own test imports, so this is a plain import ban, lifted for test files below).
      'no-restricted-imports': ['error', { paths: [{ name: '@slidecharge/testing', message: 'test helpers are for tests only' }] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The pure rules read the contracts' types only: zod (and every topic schema) stays out of them at run time.
    files: ['libs/billing-rules/src/**/*.ts', 'libs/qc-rules/src/**/*.ts'],
    ignores: testFiles,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: '@slidecharge/contracts', allowTypeImports: true, message: "the rules read the contracts' types only (import type)" }] },
      ],
    },
  },
  {
    // Tests of any lib or service may use the testing lib (real Postgres/Kafka helpers).
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: depConstraints.map((c) =>
            c.sourceTag.startsWith('layer:') ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'layer:testing'] } : c,
          ),
        },
      ],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The ops console's browser code: of libs/contracts only the ops console's contract file (plain
    // data and types); the package entry would pull zod and every topic schema into the bundle.
    files: ['services/ops-console-web/**/*.ts', 'services/ops-console-web/**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: '@slidecharge/contracts', allowTypeImports: true, message: 'import @slidecharge/contracts/ops-console (values) or use import type' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // The testing lib itself.
  { files: ['libs/testing/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
];
