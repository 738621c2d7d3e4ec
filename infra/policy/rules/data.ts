/** Aurora, RDS Proxy, DynamoDB, KMS and Secrets Manager rules. */
import { blocks, bool, list, num, type TfResource } from '../model';
import type { CheckResult, Rule, RuleContext } from '../types';
import { fail, isCustomerManagedKey, pass, privateSubnetProblem, protectionRequired, show } from './util';

const CLUSTER = ['aws_rds_cluster'];

function clusters(ctx: RuleContext, judge: (c: TfResource, ctx: RuleContext) => CheckResult): CheckResult[] {
  return ctx.model.ofType('aws_rds_cluster').map((c) => judge(c, ctx));
}

const isPostgres = (c: TfResource) => String(c.values.engine ?? '').includes('postgres');

export const auroraRules: Rule[] = [
  {
    id: 'SPS-AURORA-1',
    title: 'Aurora storage is encrypted with a customer-managed KMS key',
    mapsTo: ['CKV_AWS_327', 'CKV_AWS_96', 'AwsSolutions-RDS2'],
    rationale: 'A key we own can be audited, rotated, scoped by key policy and revoked; snapshots inherit it.',
    fix: 'Set storage_encrypted = true and kms_key_id to the arn of our aws_kms_key.',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c, { model }) => {
        if (bool(c.values.storage_encrypted) !== true) return fail(c, `storage_encrypted=${show(c.values.storage_encrypted)}`);
        if (!isCustomerManagedKey(model, c.values.kms_key_id)) return fail(c, `kms_key_id=${show(c.values.kms_key_id)} is not a customer-managed key`);
        return pass(c, `encrypted with ${model.targets(c.values.kms_key_id)[0]?.address ?? c.values.kms_key_id}`);
      }),
  },
  {
    id: 'SPS-AURORA-2',
    title: 'Aurora is not publicly accessible and lives in private subnets',
    mapsTo: ['CKV_AWS_17', 'NIST.800.53.R5-RDSInstancePublicAccess'],
    rationale: 'A database with a public endpoint is one password or one CVE away from the internet.',
    fix: 'Leave publicly_accessible unset/false on instances and use a DB subnet group of private subnets.',
    resourceTypes: [...CLUSTER, 'aws_rds_cluster_instance'],
    check: ({ model }) => {
      const out: CheckResult[] = [];
      for (const i of model.ofType('aws_rds_cluster_instance')) {
        out.push(bool(i.values.publicly_accessible) === true ? fail(i, 'publicly_accessible = true') : pass(i, 'not publicly accessible'));
      }
      for (const c of model.ofType('aws_rds_cluster')) {
        const group = model.targets(c.values.db_subnet_group_name, 'aws_db_subnet_group')[0];
        if (!group) {
          out.push(fail(c, `db_subnet_group_name=${show(c.values.db_subnet_group_name)} is not an aws_db_subnet_group of this stack`));
          continue;
        }
        const problem = privateSubnetProblem(model, group.values.subnet_ids);
        out.push(problem ? fail(c, `${group.address}: ${problem}`) : pass(c, `${group.address}: private subnets only`));
      }
      return out;
    },
  },
  {
    id: 'SPS-AURORA-3',
    title: 'Aurora IAM database authentication is on',
    mapsTo: ['CKV_AWS_162', 'AwsSolutions-RDS6'],
    rationale: 'IAM tokens replace long-lived database passwords for applications and the proxy.',
    fix: 'Set iam_database_authentication_enabled = true.',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c) =>
        bool(c.values.iam_database_authentication_enabled) === true
          ? pass(c, 'IAM authentication on')
          : fail(c, `iam_database_authentication_enabled=${show(c.values.iam_database_authentication_enabled)}`),
      ),
  },
  {
    id: 'SPS-AURORA-4',
    title: 'Aurora forces TLS (rds.force_ssl = 1 in the cluster parameter group)',
    mapsTo: ['CKV2_AWS_69'],
    rationale: 'Without it, clients may connect in clear text inside the VPC.',
    fix: 'Attach an aws_rds_cluster_parameter_group with parameter rds.force_ssl = "1" (require_secure_transport = ON for MySQL).',
    resourceTypes: [...CLUSTER, 'aws_rds_cluster_parameter_group'],
    check: (ctx) =>
      clusters(ctx, (c, { model }) => {
        const group = model.targets(c.values.db_cluster_parameter_group_name, 'aws_rds_cluster_parameter_group')[0];
        if (!group) return fail(c, `db_cluster_parameter_group_name=${show(c.values.db_cluster_parameter_group_name)} is not a parameter group of this stack (the default group does not force TLS)`);
        const [name, value] = isPostgres(c) ? ['rds.force_ssl', '1'] : ['require_secure_transport', 'ON'];
        const param = blocks(group.values.parameter).find((p) => p.name === name);
        if (String(param?.value ?? '').toUpperCase() !== value) return fail(c, `${group.address}: ${name}=${show(param?.value)}, expected "${value}"`);
        return pass(c, `${group.address}: ${name}=${value}`);
      }),
  },
  {
    id: 'SPS-AURORA-5',
    title: 'Aurora exports its logs to CloudWatch',
    mapsTo: ['CKV_AWS_324', 'NIST.800.53.R5-RDSLoggingEnabled'],
    rationale: 'Connection and error logs are needed to investigate incidents; they are lost with the instance otherwise.',
    fix: 'Set enabled_cloudwatch_logs_exports = ["postgresql"].',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c) => {
        const exports = list(c.values.enabled_cloudwatch_logs_exports);
        const needed = isPostgres(c) ? 'postgresql' : 'error';
        return exports.includes(needed) ? pass(c, `exports ${exports.join(', ')}`) : fail(c, `enabled_cloudwatch_logs_exports=${show(c.values.enabled_cloudwatch_logs_exports)} lacks "${needed}"`);
      }),
  },
  {
    id: 'SPS-AURORA-6',
    title: 'Aurora automated backups are retained',
    mapsTo: ['CKV_AWS_133', 'AwsSolutions-RDS13'],
    rationale: 'Point-in-time restore needs retained backups; the window is a decision, not a default.',
    fix: 'Set backup_retention_period (aurora.backupRetentionDays in the config, 1 to 35).',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c, { config }) => {
        const days = num(c.values.backup_retention_period);
        if (!days || days < 1) return fail(c, `backup_retention_period=${show(c.values.backup_retention_period)} must be set to at least 1`);
        const wanted = config?.aurora.backupRetentionDays;
        if (wanted !== undefined && days !== wanted) return fail(c, `backup_retention_period=${days}, config asks ${wanted}`);
        return pass(c, `${days} days of backups`);
      }),
  },
  {
    id: 'SPS-AURORA-7',
    title: 'Aurora copies tags to snapshots',
    mapsTo: ['CKV_AWS_313'],
    rationale: 'Snapshots keep project/environment tags for cost allocation and access policies.',
    fix: 'Set copy_tags_to_snapshot = true.',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c) => (bool(c.values.copy_tags_to_snapshot) === true ? pass(c, 'copies tags') : fail(c, `copy_tags_to_snapshot=${show(c.values.copy_tags_to_snapshot)}`))),
  },
  {
    id: 'SPS-AURORA-8',
    title: 'Aurora has deletion protection and a final snapshot in prod',
    mapsTo: ['CKV_AWS_139', 'AwsSolutions-RDS10'],
    rationale: 'A destroy or a replaced cluster must never silently delete production data.',
    fix: 'In environments with deletionProtection (prod): deletion_protection = true, skip_final_snapshot = false with a final_snapshot_identifier.',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c) => {
        if (!protectionRequired(ctx)) return pass(c, 'not required in this environment');
        if (bool(c.values.deletion_protection) !== true) return fail(c, `deletion_protection=${show(c.values.deletion_protection)}`);
        if (bool(c.values.skip_final_snapshot) === true || !c.values.final_snapshot_identifier) {
          return fail(c, `skip_final_snapshot=${show(c.values.skip_final_snapshot)}, final_snapshot_identifier=${show(c.values.final_snapshot_identifier)}`);
        }
        return pass(c, 'deletion protection and final snapshot');
      }),
  },
  {
    id: 'SPS-AURORA-9',
    title: 'The Aurora master password is managed by RDS (never in Terraform)',
    mapsTo: ['(no direct cdk-nag/checkov id)', 'related: AwsSolutions-SMG4'],
    rationale: 'A password set in Terraform lands in the plan and the state; RDS-managed ones live only in Secrets Manager and rotate.',
    fix: 'Set manage_master_user_password = true (and master_user_secret_kms_key_id); remove master_password.',
    resourceTypes: CLUSTER,
    check: (ctx) =>
      clusters(ctx, (c) => {
        if (c.values.master_password !== undefined) return fail(c, 'master_password is set in the configuration');
        if (c.values.snapshot_identifier !== undefined || c.values.replication_source_identifier !== undefined || c.values.global_cluster_identifier !== undefined) {
          return pass(c, 'credentials come from the snapshot / source cluster');
        }
        return bool(c.values.manage_master_user_password) === true
          ? pass(c, 'RDS manages the master password in Secrets Manager')
          : fail(c, `manage_master_user_password=${show(c.values.manage_master_user_password)}`);
      }),
  },
];

export const proxyRules: Rule[] = [
  {
    id: 'SPS-PROXY-1',
    title: 'RDS Proxy requires TLS',
    mapsTo: ['AWS Config rds-proxy-tls-encryption'],
    rationale: 'Clients must not be able to talk to the proxy in clear text.',
    fix: 'Set require_tls = true.',
    resourceTypes: ['aws_db_proxy'],
    check: ({ model }) =>
      model.ofType('aws_db_proxy').map((p) => (bool(p.values.require_tls) === true ? pass(p, 'TLS required') : fail(p, `require_tls=${show(p.values.require_tls)}`))),
  },
  {
    id: 'SPS-PROXY-2',
    title: 'RDS Proxy requires IAM authentication',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: 'Functions connect with short-lived IAM tokens scoped to one database user instead of a shared password.',
    fix: 'Set iam_auth = "REQUIRED" in every auth block.',
    resourceTypes: ['aws_db_proxy'],
    check: ({ model }) =>
      model.ofType('aws_db_proxy').map((p) => {
        const auths = blocks(p.values.auth);
        if (auths.length === 0) return fail(p, 'no auth block');
        const bad = auths.find((a) => a.iam_auth !== 'REQUIRED');
        return bad ? fail(p, `auth iam_auth=${show(bad.iam_auth)}`) : pass(p, `IAM auth required on ${auths.length} auth block(s)`);
      }),
  },
  {
    id: 'SPS-PROXY-3',
    title: 'RDS Proxy debug logging is off',
    mapsTo: ['(no cdk-nag/checkov equivalent)'],
    rationale: 'Debug logging writes SQL statements, and so application data, to CloudWatch.',
    fix: 'Leave debug_logging unset or false (turn it on only briefly while troubleshooting).',
    resourceTypes: ['aws_db_proxy'],
    check: ({ model }) =>
      model.ofType('aws_db_proxy').map((p) => (bool(p.values.debug_logging) === true ? fail(p, 'debug_logging = true') : pass(p, 'debug logging off'))),
  },
];

export const dynamodbRules: Rule[] = [
  {
    id: 'SPS-DDB-1',
    title: 'DynamoDB point-in-time recovery is on',
    mapsTo: ['CKV_AWS_28', 'AwsSolutions-DDB3'],
    rationale: 'PITR restores the table to any second of the last 35 days after a bad write or delete.',
    fix: 'Add point_in_time_recovery { enabled = true }.',
    resourceTypes: ['aws_dynamodb_table'],
    check: ({ model }) =>
      model.ofType('aws_dynamodb_table').map((t) => {
        const pitr = blocks(t.values.point_in_time_recovery)[0];
        return bool(pitr?.enabled) === true ? pass(t, 'PITR on') : fail(t, `point_in_time_recovery=${show(t.values.point_in_time_recovery)}`);
      }),
  },
  {
    id: 'SPS-DDB-2',
    title: 'DynamoDB is encrypted with a customer-managed KMS key',
    mapsTo: ['CKV_AWS_119'],
    rationale: 'Our key puts table access under a key policy we control and audit.',
    fix: 'Add server_side_encryption { enabled = true, kms_key_arn = <our aws_kms_key arn> }.',
    resourceTypes: ['aws_dynamodb_table'],
    check: ({ model }) =>
      model.ofType('aws_dynamodb_table').map((t) => {
        const sse = blocks(t.values.server_side_encryption)[0];
        if (bool(sse?.enabled) !== true) return fail(t, `server_side_encryption=${show(t.values.server_side_encryption)} (AWS-owned key)`);
        return isCustomerManagedKey(model, sse?.kms_key_arn) ? pass(t, 'encrypted with our key') : fail(t, `kms_key_arn=${show(sse?.kms_key_arn)} is not a customer-managed key`);
      }),
  },
  {
    id: 'SPS-DDB-3',
    title: 'DynamoDB deletion protection is on in prod',
    mapsTo: ['AWS Config dynamodb-table-deletion-protection-enabled'],
    rationale: 'A mistaken destroy or replacement must not drop production data.',
    fix: 'Set deletion_protection_enabled = true where the config sets deletionProtection.',
    resourceTypes: ['aws_dynamodb_table'],
    check: (ctx) =>
      ctx.model.ofType('aws_dynamodb_table').map((t) => {
        if (!protectionRequired(ctx)) return pass(t, 'not required in this environment');
        return bool(t.values.deletion_protection_enabled) === true ? pass(t, 'deletion protection on') : fail(t, `deletion_protection_enabled=${show(t.values.deletion_protection_enabled)}`);
      }),
  },
];

export const kmsRules: Rule[] = [
  {
    id: 'SPS-KMS-1',
    title: 'KMS keys rotate automatically',
    mapsTo: ['CKV_AWS_7', 'AwsSolutions-KMS5'],
    rationale: 'Yearly rotation limits how much data one key version protects, with no change for callers.',
    fix: 'Set enable_key_rotation = true on symmetric keys.',
    resourceTypes: ['aws_kms_key'],
    check: ({ model }) =>
      model.ofType('aws_kms_key').map((k) => {
        const spec = k.values.customer_master_key_spec;
        if (spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') return pass(k, `asymmetric/HMAC key (${spec}): rotation not supported`);
        return bool(k.values.enable_key_rotation) === true ? pass(k, 'rotation on') : fail(k, `enable_key_rotation=${show(k.values.enable_key_rotation)}`);
      }),
  },
];

export const secretsRules: Rule[] = [
  {
    id: 'SPS-SM-1',
    title: 'Secrets are encrypted with a customer-managed KMS key',
    mapsTo: ['CKV_AWS_149', 'NIST.800.53.R5-SecretsManagerUsingKMSKey'],
    rationale: 'Reading the secret then needs kms:Decrypt on our key too, which we grant narrowly.',
    fix: 'Set kms_key_id on aws_secretsmanager_secret; for the RDS-managed master secret set master_user_secret_kms_key_id.',
    resourceTypes: ['aws_secretsmanager_secret', 'aws_rds_cluster'],
    check: ({ model }) => {
      const out: CheckResult[] = [];
      for (const s of model.ofType('aws_secretsmanager_secret')) {
        out.push(isCustomerManagedKey(model, s.values.kms_key_id) ? pass(s, 'encrypted with our key') : fail(s, `kms_key_id=${show(s.values.kms_key_id)} (aws/secretsmanager key)`));
      }
      for (const c of model.ofType('aws_rds_cluster').filter((x) => bool(x.values.manage_master_user_password) === true)) {
        out.push(
          isCustomerManagedKey(model, c.values.master_user_secret_kms_key_id)
            ? pass(c, 'RDS-managed master secret encrypted with our key')
            : fail(c, `master_user_secret_kms_key_id=${show(c.values.master_user_secret_kms_key_id)} (aws/secretsmanager key)`),
        );
      }
      return out;
    },
  },
  {
    id: 'SPS-SM-2',
    title: 'Secrets rotate automatically',
    mapsTo: ['CKV2_AWS_57', 'AwsSolutions-SMG4'],
    rationale: 'Rotation bounds how long a leaked secret stays useful.',
    fix: 'Add an aws_secretsmanager_secret_rotation for the secret; the RDS-managed master secret is rotated by RDS (compliant).',
    resourceTypes: ['aws_secretsmanager_secret', 'aws_rds_cluster'],
    check: ({ model }) => {
      const out: CheckResult[] = [];
      for (const s of model.ofType('aws_secretsmanager_secret')) {
        const rotation = model.referrers(s, 'aws_secretsmanager_secret_rotation', 'secret_id')[0];
        if (!rotation) out.push(fail(s, 'no aws_secretsmanager_secret_rotation for this secret'));
        else if (blocks(rotation.values.rotation_rules).length === 0) out.push(fail(s, `${rotation.address} has no rotation_rules`));
        else out.push(pass(s, `rotated by ${rotation.address}`));
      }
      for (const c of model.ofType('aws_rds_cluster').filter((x) => bool(x.values.manage_master_user_password) === true)) {
        out.push(pass(c, 'RDS-managed master secret: RDS rotates it (every 7 days by default)'));
      }
      return out;
    },
  },
];
