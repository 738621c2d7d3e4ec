/**
 * Synth-speed settings for the app (infra/main.ts only; tests keep cdktf's
 * defaults).
 *
 * cdktf records a full stack trace for every token it creates (thousands per
 * synth), even with `new App({ stackTraces: false })`; they only decorate the
 * error shown when a token cannot be resolved. Skipping them saves ~10% of a
 * synth. cdktf is archived (0.21 is final), so this private module is stable;
 * if it ever moves, the guard leaves cdktf untouched.
 */
import { createRequire } from 'node:module';

export function skipTokenStackTraces(): void {
  // Stack traces that are still taken (e.g. errors) skip source-map lookups.
  process.setSourceMapsEnabled(false);
  try {
    const require = createRequire(import.meta.url);
    const stackTrace = require('cdktf/lib/tokens/private/stack-trace.js') as { captureStackTrace?: unknown };
    if (typeof stackTrace.captureStackTrace === 'function') stackTrace.captureStackTrace = () => [];
  } catch {
    // cdktf changed its layout: keep its default behaviour.
  }
}
