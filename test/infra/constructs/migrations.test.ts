/**
 * Migrations alone (on a stand-in function): invoked on apply after what it
 * needs, again when the SQL or the function's code changes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { hashMigrations, Migrations, type MigrationsProps } from '../../../infra/constructs/migrations';
import { tempDir } from '../../support/temp';
import { addressOf, FakeArchives, onlyResource, refTo, synthScope, testFunction } from '../helpers';

Testing.setupJest();

const fixtureMigrations = join(import.meta.dirname, '..', 'fixtures', 'migrations');

let archives: FakeArchives;
let sqlDir: string;
beforeAll(() => {
  archives = new FakeArchives();
  sqlDir = tempDir('migrations');
});

function synthMigrations(props: Partial<MigrationsProps> = {}) {
  return synthScope((scope) => {
    const fn = testFunction(scope, archives, 'migrate');
    const endpoint = new VpcEndpoint(scope, 'endpoint', { vpcId: 'vpc-test', serviceName: 'com.amazonaws.eu-west-1.secretsmanager' });
    new Migrations(scope, 'migrations', { fn, migrationsDir: fixtureMigrations, after: [endpoint], ...props });
  });
}

describe('Migrations', () => {
  test('invokes the function once it and everything in `after` exist', () => {
    const { json } = synthMigrations();
    const invocation = onlyResource(json, 'aws_lambda_invocation');
    expect(invocation.function_name).toBe(refTo(json, 'aws_lambda_function', 'function_name'));
    expect(invocation.depends_on).toEqual([addressOf(json, 'aws_lambda_function'), addressOf(json, 'aws_vpc_endpoint')]);
  });

  test('runs again when the SQL changes: the migrations hash is a trigger, and is in the input', () => {
    const { hash } = hashMigrations(fixtureMigrations);
    expect(synthMigrations().synth).toHaveResourceWithProperties(LambdaInvocation, {
      triggers: expect.objectContaining({ migrations: hash }),
      input: JSON.stringify({ source: 'sps.deploy', action: 'migrate', migrationsHash: hash }),
    });
  });

  test('runs again when the function\'s code changes: its source_code_hash is a trigger', () => {
    const { json } = synthMigrations();
    expect(onlyResource(json, 'aws_lambda_invocation').triggers.code).toBe(refTo(json, 'aws_lambda_function', 'source_code_hash'));
  });

  test('GIVEN no migrations folder WHEN synthesized THEN the migrations hash is "none"', () => {
    const { json } = synthMigrations({ migrationsDir: join(sqlDir, 'missing') });
    expect(onlyResource(json, 'aws_lambda_invocation').triggers.migrations).toBe('none');
  });
});

describe('hashMigrations', () => {
  test('is the SHA-256 (hex) of the folder\'s SQL files', () => {
    expect(hashMigrations(fixtureMigrations)).toEqual({ files: ['0001_init.sql'], hash: expect.stringMatching(/^[a-f0-9]{64}$/) });
  });

  test('counts only *.sql files, sorted by name; a folder without any is "none"', () => {
    const dir = mkdtempSync(join(sqlDir, 'only-sql-'));
    writeFileSync(join(dir, 'README.md'), 'not a migration');
    expect(hashMigrations(dir)).toEqual({ files: [], hash: 'none' });
    writeFileSync(join(dir, '0002_b.sql'), 'select 2;');
    writeFileSync(join(dir, '0001_a.sql'), 'select 1;');
    expect(hashMigrations(dir).files).toEqual(['0001_a.sql', '0002_b.sql']);
  });

  test('changes when a file\'s content or name changes', () => {
    const dir = mkdtempSync(join(sqlDir, 'changes-'));
    writeFileSync(join(dir, '0001_a.sql'), 'select 1;');
    const before = hashMigrations(dir).hash;
    writeFileSync(join(dir, '0001_a.sql'), 'select 2;');
    const edited = hashMigrations(dir).hash;
    rmSync(join(dir, '0001_a.sql'));
    writeFileSync(join(dir, '0001_b.sql'), 'select 2;');
    expect(new Set([before, edited, hashMigrations(dir).hash]).size).toBe(3);
  });
});
