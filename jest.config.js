/**
 * Two projects: `unit` (the fast part, `npm run test:unit`) and `slow`
 * (suites that spawn heavy work: sanitizer and fuzz builds, the real release,
 * big matrices, the CLI in child processes, the package install). `npm test`
 * runs both, on two workers (the machine's two cores). dist/ is rebuilt first
 * when it does not match src/ (test/helpers/global-setup.js): Piscina
 * workers load it, so a stale one would test old code.
 */
const SLOW = [
  'test/native/fuzz.test.ts',
  'test/native/sanitized.test.ts',
  'test/cli/determinism.test.ts',
  'test/cli/workers.test.ts',
  'test/cli/worker-shutdown.test.ts',
  'test/cli/output-folders.test.ts',
  'test/cli/closed-pipe.test.ts',
  'test/cli/json.test.ts',
  'test/topk/topk-cifar.test.ts',
  'test/topk/topk.test.ts',
  'test/io/npz.test.ts',
  'test/io/fuzz.test.ts',
  'test/io/answers-fuzz.test.ts',
  'test/io/npz-readers-fuzz.test.ts',
  'test/aggregate/real.test.ts',
  'test/tasks/real.test.ts',
  'test/demo/demo.test.ts',
  'test/subsets/subsets.test.ts',
  'test/logits/cli.test.ts',
  'test/logits/logits.test.ts',
  'test/api/memory.test.ts',
  'test/api/service-example.test.ts',
  'test/export/export.test.ts',
  'test/evaluate/evaluate-files.test.ts',
  'test/package/',
  'test/cluster/',
];

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const slowPatterns = SLOW.map((p) => `<rootDir>/${escapeRegExp(p)}`);

const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }], // transpile only: tsconfig.test.json sets isolatedModules
  },
  // Every fast-check property runs from one fixed seed (test/helpers/fuzz-seed.js).
  setupFiles: ['<rootDir>/test/helpers/fuzz-seed.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 60000, // a global option: inside a project it would be ignored (5 s)
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  projects: [
    { ...project, displayName: 'unit', testPathIgnorePatterns: ['/node_modules/', ...slowPatterns] },
    { ...project, displayName: 'slow', testMatch: SLOW.map((p) => `<rootDir>/${p}${p.endsWith('/') ? '**/*.test.ts' : ''}`) },
  ],
};
