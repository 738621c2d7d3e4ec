/**
 * The application role's secret: created empty by the stack, filled by the
 * migration task. The task creates the role with a generated password and puts
 * `{"username","password"}` here (functions/lib/data/app-role.ts), so the
 * password never appears in Terraform configuration, plan or state.
 *
 * Why not a Terraform-generated password: a `random_password` lands in state,
 * and the provider's write-only attribute (`secret_string_wo`, aws >= 5.88)
 * needs an ephemeral password source, which cdktf 0.21 cannot express (no
 * ephemeral resources in its bindings). The role must be created in the
 * database anyway, by code that can reach it: the migration task.
 *
 * The RDS Proxy lists this secret in its `auth` (IAM required), so functions
 * connect as the role with IAM tokens; the Data API reads it with the caller's
 * rights. The proxy does not check a secret at creation (aws 5.100
 * `resourceProxyCreate` only copies the ARN): until the task fills it, clients
 * of the role are refused ("no credentials for the role").
 */
import { Construct } from 'constructs';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import type { DataKey } from './kms-key';

export interface AppRoleSecretProps {
  /** Secret name, e.g. `sps-dev/db/app_user`. */
  readonly name: string;
  /** Database user the secret is for. */
  readonly username: string;
  readonly kmsKey: DataKey;
  /**
   * Days a deleted secret can be restored (7-30), or 0 to delete at once (a
   * re-created stack can reuse the name immediately).
   * @default 30
   */
  readonly recoveryWindowInDays?: number;
}

export class AppRoleSecret extends Construct {
  readonly secret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: AppRoleSecretProps) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, 'secret', {
      name: props.name,
      description: `Login of the database application role "${props.username}"; value written by the migration task, never by Terraform`,
      kmsKeyId: props.kmsKey.arn,
      recoveryWindowInDays: props.recoveryWindowInDays ?? 30,
    });
  }

  get arn(): string {
    return this.secret.arn;
  }
}
