/**
 * Temporary folders that do not outlive the test file: each is removed once
 * its tests are done (afterAll), passed or failed. Names start with
 * `sps-test-`, so a leftover is easy to spot (`ls -d /tmp/sps-test-*`).
 *
 * For folders nothing keeps open: the removal runs before the file's own
 * afterAll hooks (jest runs them in declaration order), so a folder a server
 * still uses (a Postgres data dir) is removed by the file, after the server stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack, Testing, type App } from 'cdktf';
import type { Construct } from 'constructs';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the OS temp dir, removed after this test file. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sps-test-${name}-`));
  made.push(dir);
  return dir;
}

/** `Testing.app()` with its output folder removed after this test file (cdktf's own is left in /tmp for good). */
export function testApp(options: Parameters<typeof Testing.app>[0] = {}): App {
  return Testing.app({ outdir: tempDir('cdktf'), ...options });
}

/** `Testing.synthScope` on a `testApp()`: builds constructs in an empty stack and synthesizes it. */
export function synthScope(build: (scope: Construct) => void): string {
  const stack = new TerraformStack(testApp(), 'stack');
  build(stack);
  return Testing.synth(stack);
}
