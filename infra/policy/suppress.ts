/**
 * Construct-level suppression hook for the infrastructure code:
 *
 *   suppressPolicy(route, 'SPS-API-3', 'Public read endpoint by design; no user data');
 *
 * The suppression travels in the resource's `//` metadata of `cdk.tf.json`
 * (Terraform ignores `//` keys) and is validated and listed by the policy pack
 * like the ones in `suppressions.ts`. The reason must have at least 10
 * characters: a shorter one fails `npm run check`, and fails here at synth time.
 */
import type { TerraformResource } from 'cdktf';
import { MIN_REASON_LENGTH } from './engine';

export function suppressPolicy(resource: TerraformResource, rule: string, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `suppressPolicy(${resource.node.path}, ${rule}): the reason must have at least ${MIN_REASON_LENGTH} characters (received ${JSON.stringify(reason)}); say why the rule does not apply`,
    );
  }
  const existing = (resource as unknown as { rawOverrides?: Record<string, Record<string, unknown>> }).rawOverrides?.['//']
    ?.sps_suppressions as { rule: string; reason: string }[] | undefined;
  resource.addOverride('//.sps_suppressions', [...(existing ?? []), { rule, reason }]);
}
