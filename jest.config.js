/**
 * Jest runs our TypeScript as native ESM (middy 7 is ESM-only): @swc/jest strips
 * types and keeps `import`/`export`, and `npm test` starts node with
 * --experimental-vm-modules.
 *
 * Two projects: `unit`, the fast lane (`npm run test:unit`): the platform's
 * construct, stack, policy, config and handler-framework tests, which need no
 * database, no Terraform and no synth of the real app; and `integration`,
 * everything else. `npm test` runs both.
 */
const UNIT = [
  'test/infra/constructs/**/*.test.ts',
  'test/infra/{stack,stack-web,validation,web-edge,messaging-stack}.test.ts',
  'test/policy/{rules,engine,bootstrap,ci-coverage,docs,variants}.test.ts',
  'test/config.test.ts',
  'test/functions/{http,formatter,issue-messages,fuzz,proxy-auth,auth,page,messaging-schema}.test.ts',
  'test/web/errors.test.ts',
];

const project = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  testPathIgnorePatterns: ['/node_modules/', '/cdktf.out/', '/.local/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 60_000,
};

export default {
  projects: [
    { ...project, displayName: 'unit', testMatch: UNIT.map((glob) => `<rootDir>/${glob}`) },
    { ...project, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.test.ts', ...UNIT.map((glob) => `!**/${glob}`)] },
  ],
  maxWorkers: 2,
  testTimeout: 60_000,
};
