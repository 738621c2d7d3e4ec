/**
 * cdk-nag's layout: for every rule, the compliant fixture passes and a
 * fixture with one thing broken is caught, on the resource that is wrong.
 */
import type { RouteDefinition } from '../../functions/registry-types';
import { runPack } from '../../infra/policy/engine';
import { allRules, ruleById } from '../../infra/policy/rules';
import { suppressionsFor } from '../../infra/policy/suppressions';
import { configFor } from '../fixtures/environments';
import { block, buildCompliantStack, mutate, type Json } from './fixture';

const config = configFor('dev', { reservedConcurrency: 5 });
/** The registry entries of the fixture stack's function (`sps-dev-health`) and its signed-in route (`POST /posts`). */
const functions: RouteDefinition[] = [
  { name: 'health', method: 'GET', path: '/health', handler: 'health.ts', public: 'Health check probed by uptime monitors' },
  { name: 'posts-create', method: 'POST', path: '/posts', handler: 'plain.ts', auth: {} },
];
let compliant: Json;

beforeAll(() => {
  compliant = buildCompliantStack().json;
});

function judge(ruleId: string, json: Json, stack = 'dev') {
  const rule = ruleById(ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return runPack([{ name: stack, json, config: stack === 'dev' ? config : undefined }], { rules: [rule], functions }).results;
}

type Case = [rule: string, broken: string, failing: string, change: (r: Json, d: Json) => void];

const fnPolicyDoc = (d: Json) => block(d, 'aws_iam_policy_document', 'fn-policy-doc');
const webPolicyDoc = (d: Json) => block(d, 'aws_iam_policy_document', 'web-policy-doc');
const webCdn = (r: Json) => block(r, 'aws_cloudfront_distribution', 'web-cdn');
const webHeaders = (r: Json) => block(r, 'aws_cloudfront_response_headers_policy', 'web-headers').security_headers_config;

const cases: Case[] = [
  ['SPS-LAMBDA-1', 'function without vpc_config', 'aws_lambda_function.fn', (r) => delete block(r, 'aws_lambda_function', 'fn').vpc_config],
  ['SPS-LAMBDA-1', 'function in a subnet routed to an internet gateway', 'aws_lambda_function.fn', (r) => {
    r.aws_internet_gateway = { igw: { vpc_id: '${aws_vpc.vpc.id}' } };
    block(r, 'aws_route_table', 'private-rt-a').route = [{ cidr_block: '0.0.0.0/0', gateway_id: '${aws_internet_gateway.igw.id}' }];
  }],
  ['SPS-LAMBDA-1', "function in a subnet without association whose VPC's main route table routes to the internet", 'aws_lambda_function.fn', (r) => {
    delete r.aws_route_table_association['private-rta-b'];
    r.aws_internet_gateway = { igw: { vpc_id: '${aws_vpc.vpc.id}' } };
    r.aws_route_table.public = { vpc_id: '${aws_vpc.vpc.id}', route: [{ cidr_block: '0.0.0.0/0', gateway_id: '${aws_internet_gateway.igw.id}' }] };
    r.aws_main_route_table_association = { main: { vpc_id: '${aws_vpc.vpc.id}', route_table_id: '${aws_route_table.public.id}' } };
  }],
  ['SPS-LAMBDA-1', 'function subnets given as an unresolvable literal', 'aws_lambda_function.fn', (r) => {
    block(r, 'aws_lambda_function', 'fn').vpc_config.subnet_ids = ['subnet-0123456789'];
  }],
  ['SPS-LAMBDA-2', 'function without an explicit timeout', 'aws_lambda_function.fn', (r) => delete block(r, 'aws_lambda_function', 'fn').timeout],
  ['SPS-LAMBDA-3', 'deprecated runtime', 'aws_lambda_function.fn', (r) => (block(r, 'aws_lambda_function', 'fn').runtime = 'nodejs16.x')],
  ['SPS-LAMBDA-4', 'literal password in the environment', 'aws_lambda_function.fn', (r) => (block(r, 'aws_lambda_function', 'fn').environment.variables.DB_PASSWORD = 'hunter2hunter2')],
  ['SPS-LAMBDA-4', 'access key in an innocent-looking variable', 'aws_lambda_function.fn', (r) => (block(r, 'aws_lambda_function', 'fn').environment.variables.SETTINGS = 'AKIAABCDEFGHIJKLMNOP')],
  ['SPS-LAMBDA-5', 'log group without retention', 'aws_lambda_function.fn', (r) => delete block(r, 'aws_cloudwatch_log_group', 'fn-logs').retention_in_days],
  ['SPS-LAMBDA-5', 'no log group for the function', 'aws_lambda_function.fn', (r) => {
    delete r.aws_cloudwatch_log_group['fn-logs'];
    delete block(r, 'aws_lambda_function', 'fn').logging_config;
  }],
  ['SPS-LAMBDA-6', 'reserved concurrency missing where the config asks for 5', 'aws_lambda_function.fn', (r) => delete block(r, 'aws_lambda_function', 'fn').reserved_concurrent_executions],
  ['SPS-LAMBDA-7', 'role allowing dynamodb:Get*', 'aws_lambda_function.fn', (_r, d) => (fnPolicyDoc(d).statement[1].actions = ['dynamodb:Get*'])],
  ['SPS-LAMBDA-7', "wildcard inside the jsonencode'd policy", 'aws_lambda_function.fn', (r) => {
    const p = block(r, 'aws_iam_role_policy', 'fn-policy-logs');
    p.policy = p.policy.replace('logs:PutLogEvents', 'logs:*');
  }],
  ['SPS-IAM-1', 'statement allowing "*"', 'aws_iam_role_policy.fn-policy', (_r, d) => (fnPolicyDoc(d).statement[1].actions = ['*'])],
  ['SPS-IAM-1', 'Allow with NotAction', 'aws_iam_role_policy.fn-policy', (_r, d) => {
    fnPolicyDoc(d).statement[1].not_actions = ['iam:*'];
    delete fnPolicyDoc(d).statement[1].actions;
  }],
  ['SPS-IAM-2', 'statement allowing "s3:*"', 'aws_iam_role_policy.fn-policy', (_r, d) => (fnPolicyDoc(d).statement[1].actions = ['s3:*'])],
  ['SPS-IAM-2', "jsonencode'd statement allowing \"*:*\"", 'aws_iam_role_policy.fn-policy-logs', (r) => {
    const p = block(r, 'aws_iam_role_policy', 'fn-policy-logs');
    p.policy = p.policy.replace('"logs:CreateLogStream"', '"*:*"');
  }],
  ['SPS-IAM-3', 'dynamodb actions on "*"', 'aws_iam_role_policy.fn-policy', (_r, d) => (fnPolicyDoc(d).statement[1].resources = ['*'])],
  ['SPS-IAM-4', 'AWS-managed policy attached', 'aws_iam_role_policy_attachment.managed', (r) => {
    r.aws_iam_role_policy_attachment = { managed: { role: '${aws_iam_role.fn-role.name}', policy_arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' } };
  }],
  ['SPS-AURORA-1', 'cluster encrypted with the AWS-managed key', 'aws_rds_cluster.db', (r) => delete block(r, 'aws_rds_cluster', 'db').kms_key_id],
  ['SPS-AURORA-2', 'publicly accessible instance', 'aws_rds_cluster_instance.db-instance', (r) => (block(r, 'aws_rds_cluster_instance', 'db-instance').publicly_accessible = true)],
  ['SPS-AURORA-3', 'IAM auth off', 'aws_rds_cluster.db', (r) => (block(r, 'aws_rds_cluster', 'db').iam_database_authentication_enabled = false)],
  ['SPS-AURORA-4', 'rds.force_ssl = 0', 'aws_rds_cluster.db', (r) => (block(r, 'aws_rds_cluster_parameter_group', 'db-params').parameter[0].value = '0')],
  ['SPS-AURORA-4', 'default parameter group', 'aws_rds_cluster.db', (r) => delete block(r, 'aws_rds_cluster', 'db').db_cluster_parameter_group_name],
  ['SPS-AURORA-5', 'no log export', 'aws_rds_cluster.db', (r) => delete block(r, 'aws_rds_cluster', 'db').enabled_cloudwatch_logs_exports],
  ['SPS-AURORA-6', 'backup retention left to the default', 'aws_rds_cluster.db', (r) => delete block(r, 'aws_rds_cluster', 'db').backup_retention_period],
  ['SPS-AURORA-7', 'tags not copied to snapshots', 'aws_rds_cluster.db', (r) => delete block(r, 'aws_rds_cluster', 'db').copy_tags_to_snapshot],
  ['SPS-AURORA-9', 'password in the configuration', 'aws_rds_cluster.db', (r) => {
    const db = block(r, 'aws_rds_cluster', 'db');
    delete db.manage_master_user_password;
    db.master_password = 'not-in-terraform-please';
  }],
  ['SPS-PROXY-1', 'proxy without TLS', 'aws_db_proxy.proxy', (r) => (block(r, 'aws_db_proxy', 'proxy').require_tls = false)],
  ['SPS-PROXY-2', 'proxy with IAM auth disabled', 'aws_db_proxy.proxy', (r) => (block(r, 'aws_db_proxy', 'proxy').auth[0].iam_auth = 'DISABLED')],
  ['SPS-PROXY-3', 'proxy debug logging on', 'aws_db_proxy.proxy', (r) => (block(r, 'aws_db_proxy', 'proxy').debug_logging = true)],
  ['SPS-DDB-1', 'table without PITR', 'aws_dynamodb_table.table', (r) => delete block(r, 'aws_dynamodb_table', 'table').point_in_time_recovery],
  ['SPS-DDB-2', 'table with the AWS-owned key', 'aws_dynamodb_table.table', (r) => delete block(r, 'aws_dynamodb_table', 'table').server_side_encryption],
  ['SPS-SG-1', 'rule without a description', 'aws_vpc_security_group_egress_rule.fn-to-db', (r) => delete block(r, 'aws_vpc_security_group_egress_rule', 'fn-to-db').description],
  ['SPS-SG-1', 'group described as "Managed by Terraform"', 'aws_security_group.fn-sg', (r) => (block(r, 'aws_security_group', 'fn-sg').description = 'Managed by Terraform')],
  ['SPS-SG-2', 'ingress from 0.0.0.0/0', 'aws_vpc_security_group_ingress_rule.db-from-fn', (r) => {
    const rule = block(r, 'aws_vpc_security_group_ingress_rule', 'db-from-fn');
    delete rule.referenced_security_group_id;
    rule.cidr_ipv4 = '0.0.0.0/0';
  }],
  ['SPS-SG-2', 'inline ingress from ::/0', 'aws_security_group.db-sg', (r) => {
    block(r, 'aws_security_group', 'db-sg').ingress = [{ description: 'x', protocol: 'tcp', from_port: 5432, to_port: 5432, ipv6_cidr_blocks: ['::/0'] }];
  }],
  ['SPS-SG-3', 'egress to anywhere on all ports', 'aws_security_group.fn-sg', (r) => {
    block(r, 'aws_security_group', 'fn-sg').egress = [{ description: 'all', protocol: '-1', from_port: 0, to_port: 0, cidr_blocks: ['0.0.0.0/0'] }];
  }],
  ['SPS-SG-4', 'default security group left unmanaged', 'aws_vpc.vpc', (r) => delete r.aws_default_security_group],
  ['SPS-SG-4', 'default security group with a rule', 'aws_vpc.vpc', (r) => {
    block(r, 'aws_default_security_group', 'default-sg').ingress = [{ protocol: '-1', self: true, from_port: 0, to_port: 0 }];
  }],
  ['SPS-VPC-1', 'VPC without flow logs', 'aws_vpc.vpc', (r) => delete r.aws_flow_log],
  ['SPS-VPC-2', 'private subnet assigning public IPs', 'aws_subnet.private-a', (r) => (block(r, 'aws_subnet', 'private-a').map_public_ip_on_launch = true)],
  ['SPS-VPC-3', 'no DynamoDB endpoint and no NAT (the function reads a table)', 'aws_lambda_function.fn', (r) => delete r.aws_vpc_endpoint['dynamodb-endpoint']],
  ['SPS-VPC-3', 'the gateway endpoint on another route table', 'aws_lambda_function.fn', (r) => (block(r, 'aws_vpc_endpoint', 'dynamodb-endpoint').route_table_ids = ['${aws_route_table.private-rt-a.id}'])],
  ['SPS-VPC-3', "the function's group may not leave to DynamoDB's prefix list", 'aws_lambda_function.fn', (r) => delete r.aws_vpc_security_group_egress_rule['fn-to-dynamodb']],
  ['SPS-VPC-3', 'the SNS endpoint without private DNS (the function publishes)', 'aws_lambda_function.fn', (r) => (block(r, 'aws_vpc_endpoint', 'sns-endpoint').private_dns_enabled = false)],
  ['SPS-VPC-3', 'the SNS endpoint in one of the two subnets', 'aws_lambda_function.fn', (r) => (block(r, 'aws_vpc_endpoint', 'sns-endpoint').subnet_ids = ['${aws_subnet.private-a.id}'])],
  ['SPS-VPC-3', "the endpoints' group closed to the functions", 'aws_lambda_function.fn', (r) => delete r.aws_vpc_security_group_ingress_rule['endpoints-from-fn']],
  ['SPS-API-1', 'stage without access logs', 'aws_apigatewayv2_stage.stage', (r) => delete block(r, 'aws_apigatewayv2_stage', 'stage').access_log_settings],
  ['SPS-API-2', 'stage without default throttling', 'aws_apigatewayv2_stage.stage', (r) => delete block(r, 'aws_apigatewayv2_stage', 'stage').default_route_settings],
  ['SPS-API-3', 'route without authorization', 'aws_apigatewayv2_route.route', (r) => delete block(r, 'aws_apigatewayv2_route', 'route').authorization_type],
  ['SPS-API-3', 'JWT route whose authorizer is not one of the stack', 'aws_apigatewayv2_route.signed-in-route', (r) => (block(r, 'aws_apigatewayv2_route', 'signed-in-route').authorizer_id = 'abc123')],
  ['SPS-API-3', 'JWT authorizer without an audience', 'aws_apigatewayv2_route.signed-in-route', (r) => delete block(r, 'aws_apigatewayv2_authorizer', 'jwt-authorizer').jwt_configuration.audience],
  ['SPS-COGNITO-1', 'passwords of 8 characters', 'aws_cognito_user_pool.user-pool', (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').password_policy.minimum_length = 8)],
  ['SPS-COGNITO-1', 'no symbol required', 'aws_cognito_user_pool.user-pool', (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').password_policy.require_symbols = false)],
  ['SPS-COGNITO-1', 'temporary passwords valid for 30 days', 'aws_cognito_user_pool.user-pool', (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').password_policy.temporary_password_validity_days = 30)],
  ['SPS-COGNITO-1', 'no password policy', 'aws_cognito_user_pool.user-pool', (r) => delete block(r, 'aws_cognito_user_pool', 'user-pool').password_policy],
  ['SPS-COGNITO-2', 'MFA off where the config asks OPTIONAL', 'aws_cognito_user_pool.user-pool', (r) => {
    const pool = block(r, 'aws_cognito_user_pool', 'user-pool');
    pool.mfa_configuration = 'OFF';
    delete pool.software_token_mfa_configuration;
  }],
  ['SPS-COGNITO-2', 'SMS MFA', 'aws_cognito_user_pool.user-pool', (r) => {
    block(r, 'aws_cognito_user_pool', 'user-pool').sms_configuration = { external_id: 'x', sns_caller_arn: 'arn:aws:iam::123456789012:role/sms' };
  }],
  ['SPS-COGNITO-2', 'MFA OPTIONAL without the authenticator app', 'aws_cognito_user_pool.user-pool', (r) => delete block(r, 'aws_cognito_user_pool', 'user-pool').software_token_mfa_configuration],
  ['SPS-COGNITO-3', 'a client secret', 'aws_cognito_user_pool_client.user-pool-client', (r) => (block(r, 'aws_cognito_user_pool_client', 'user-pool-client').generate_secret = true)],
  ['SPS-COGNITO-3', 'the USER_PASSWORD_AUTH flow', 'aws_cognito_user_pool_client.user-pool-client', (r) => block(r, 'aws_cognito_user_pool_client', 'user-pool-client').explicit_auth_flows.push('ALLOW_USER_PASSWORD_AUTH')],
  ['SPS-COGNITO-3', 'the admin flow', 'aws_cognito_user_pool_client.user-pool-client', (r) => (block(r, 'aws_cognito_user_pool_client', 'user-pool-client').explicit_auth_flows = ['ALLOW_ADMIN_USER_PASSWORD_AUTH'])],
  ['SPS-COGNITO-3', 'flows left to Cognito', 'aws_cognito_user_pool_client.user-pool-client', (r) => delete block(r, 'aws_cognito_user_pool_client', 'user-pool-client').explicit_auth_flows],
  ['SPS-COGNITO-3', 'the implicit OAuth grant', 'aws_cognito_user_pool_client.user-pool-client', (r) => (block(r, 'aws_cognito_user_pool_client', 'user-pool-client').allowed_oauth_flows = ['implicit'])],
  ['SPS-COGNITO-4', 'user existence errors (LEGACY)', 'aws_cognito_user_pool_client.user-pool-client', (r) => (block(r, 'aws_cognito_user_pool_client', 'user-pool-client').prevent_user_existence_errors = 'LEGACY')],
  ['SPS-COGNITO-4', 'user existence errors left to Cognito', 'aws_cognito_user_pool_client.user-pool-client', (r) => delete block(r, 'aws_cognito_user_pool_client', 'user-pool-client').prevent_user_existence_errors],
  ['SPS-COGNITO-6', 'threat protection ENFORCED on the Essentials plan', 'aws_cognito_user_pool.user-pool', (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').user_pool_add_ons.advanced_security_mode = 'ENFORCED')],
  ['SPS-COGNITO-6', 'the Plus plan where the config asks Essentials', 'aws_cognito_user_pool.user-pool', (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').user_pool_tier = 'PLUS')],
  ['SPS-COGNITO-7', 'email not verified on sign-up', 'aws_cognito_user_pool.user-pool', (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').auto_verified_attributes = [])],
  ['SPS-COGNITO-7', 'a changed email used before it is verified', 'aws_cognito_user_pool.user-pool', (r) => delete block(r, 'aws_cognito_user_pool', 'user-pool').user_attribute_update_settings],
  ['SPS-API-4', 'API with cors_configuration', 'aws_apigatewayv2_api.api', (r) => (block(r, 'aws_apigatewayv2_api', 'api').cors_configuration = { allow_origins: ['*'] })],
  ['SPS-SNS-1', 'topic with the AWS-managed key', 'aws_sns_topic.topic', (r) => (block(r, 'aws_sns_topic', 'topic').kms_master_key_id = 'alias/aws/sns')],
  ['SPS-SNS-2', 'topic policy without the TLS deny', 'aws_sns_topic.topic', (_r, d) => (block(d, 'aws_iam_policy_document', 'topic-policy-doc').statement[0].condition = [])],
  ['SPS-SNS-2', 'topic without a policy', 'aws_sns_topic.topic', (r) => delete r.aws_sns_topic_policy],
  ['SPS-SNS-3', 'subscribed queue without a dead-letter queue', 'aws_sns_topic_subscription.subscription', (r) => delete block(r, 'aws_sqs_queue', 'queue').redrive_policy],
  ['SPS-SNS-3', "subscribed queue whose policy does not name the topic", 'aws_sns_topic_subscription.subscription', (_r, d) => (block(d, 'aws_iam_policy_document', 'queue-policy-doc').statement[0].condition[0].values = ['arn:aws:sns:eu-west-1:123456789012:other'])],
  ['SPS-SQS-1', 'queue with SSE-SQS only', 'aws_sqs_queue.queue', (r) => {
    const q = block(r, 'aws_sqs_queue', 'queue');
    delete q.kms_master_key_id;
    q.sqs_managed_sse_enabled = true;
  }],
  ['SPS-SQS-2', 'queue without a redrive policy (and no DLQ)', 'aws_sqs_queue.queue', (r) => {
    delete block(r, 'aws_sqs_queue', 'queue').redrive_policy;
    delete r.aws_sqs_queue.dlq;
  }],
  ['SPS-SQS-3', 'dead-letter queue without the TLS deny', 'aws_sqs_queue.dlq', (r) => delete block(r, 'aws_sqs_queue_policy', 'dlq-policy').policy],
  ['SPS-SQS-4', 'queue policy letting SNS send without aws:SourceArn', 'aws_sqs_queue.queue', (_r, d) => (block(d, 'aws_iam_policy_document', 'queue-policy-doc').statement[0].condition = [])],
  ['SPS-SQS-4', 'queue policy allowing everyone', 'aws_sqs_queue.queue', (_r, d) => (block(d, 'aws_iam_policy_document', 'queue-policy-doc').statement[0].principals = [{ type: '*', identifiers: ['*'] }])],
  ['SPS-ESM-1', 'mapping without partial batch responses', 'aws_lambda_event_source_mapping.esm', (r) => delete block(r, 'aws_lambda_event_source_mapping', 'esm').function_response_types],
  ['SPS-ESM-1', 'visibility timeout under 6x the function timeout', 'aws_lambda_event_source_mapping.esm', (r) => (block(r, 'aws_sqs_queue', 'queue').visibility_timeout_seconds = 29)],
  ['SPS-KMS-1', 'key without rotation', 'aws_kms_key.key', (r) => (block(r, 'aws_kms_key', 'key').enable_key_rotation = false)],
  ['SPS-SM-1', 'secret with the default key', 'aws_secretsmanager_secret.secret', (r) => delete block(r, 'aws_secretsmanager_secret', 'secret').kms_key_id],
  ['SPS-SM-1', 'RDS-managed secret with the default key', 'aws_rds_cluster.db', (r) => delete block(r, 'aws_rds_cluster', 'db').master_user_secret_kms_key_id],
  ['SPS-SM-2', 'secret without rotation', 'aws_secretsmanager_secret.secret', (r) => delete r.aws_secretsmanager_secret_rotation],
  ['SPS-LOGS-1', 'log group without retention', 'aws_cloudwatch_log_group.api-logs', (r) => delete block(r, 'aws_cloudwatch_log_group', 'api-logs').retention_in_days],
  ['SPS-S3-1', 'bucket not versioned', 'aws_s3_bucket.state', (r) => (block(r, 'aws_s3_bucket_versioning', 'state-versioning').versioning_configuration.status = 'Suspended')],
  ['SPS-S3-2', 'bucket with SSE-S3 only', 'aws_s3_bucket.state', (r) => {
    block(r, 'aws_s3_bucket_server_side_encryption_configuration', 'state-sse').rule[0].apply_server_side_encryption_by_default = { sse_algorithm: 'AES256' };
  }],
  ['SPS-S3-3', 'public access partly allowed', 'aws_s3_bucket.state', (r) => (block(r, 'aws_s3_bucket_public_access_block', 'state-pab').restrict_public_buckets = false)],
  ['SPS-S3-4', 'bucket policy without the TLS deny', 'aws_s3_bucket.state', (_r, d) => (block(d, 'aws_iam_policy_document', 'state-policy-doc').statement[0].condition = [])],
  ['SPS-S3-5', 'bucket whose ACLs are enabled (ObjectWriter)', 'aws_s3_bucket.state', (r) => (block(r, 'aws_s3_bucket_ownership_controls', 'state-ownership').rule.object_ownership = 'ObjectWriter')],
  ['SPS-S3-5', 'bucket with an ACL', 'aws_s3_bucket.web', (r) => (r.aws_s3_bucket_acl = { web: { bucket: '${aws_s3_bucket.web.id}', acl: 'public-read' } })],
  ['SPS-S3-6', 'web bucket readable by any principal', 'aws_s3_bucket.web', (_r, d) => (webPolicyDoc(d).statement[0].principals = [{ type: '*', identifiers: ['*'] }])],
  ['SPS-S3-6', 'web bucket readable by CloudFront without naming the distribution', 'aws_s3_bucket.web', (_r, d) => (webPolicyDoc(d).statement[0].condition = [])],
  ['SPS-S3-6', 'web bucket with website hosting', 'aws_s3_bucket.web', (r) => {
    r.aws_s3_bucket_website_configuration = { site: { bucket: '${aws_s3_bucket.web.id}', index_document: { suffix: 'index.html' } } };
  }],
  ['SPS-CF-1', 'viewers allowed on plain HTTP', 'aws_cloudfront_distribution.web-cdn', (r) => (webCdn(r).default_cache_behavior.viewer_protocol_policy = 'allow-all')],
  ['SPS-CF-2', "CloudFront's default certificate (TLSv1 on *.cloudfront.net)", 'aws_cloudfront_distribution.web-cdn', (r) => {
    webCdn(r).viewer_certificate = { cloudfront_default_certificate: true };
  }],
  ['SPS-CF-2', 'a custom certificate with TLSv1.2_2019 (CBC ciphers)', 'aws_cloudfront_distribution.web-cdn', (r) => (webCdn(r).viewer_certificate.minimum_protocol_version = 'TLSv1.2_2019')],
  ['SPS-CF-3', 'S3 origin through an origin access identity', 'aws_cloudfront_distribution.web-cdn', (r) => {
    const origin = webCdn(r).origin[0];
    delete origin.origin_access_control_id;
    origin.s3_origin_config = { origin_access_identity: 'origin-access-identity/cloudfront/E2QWRUHAPOMQZL' };
  }],
  ['SPS-CF-3', 'OAC that never signs', 'aws_cloudfront_distribution.web-cdn', (r) => (block(r, 'aws_cloudfront_origin_access_control', 'web-oac').signing_behavior = 'never')],
  ['SPS-CF-3', 'public S3 website endpoint as the origin', 'aws_cloudfront_distribution.web-cdn', (r) => {
    const origin = webCdn(r).origin[0];
    delete origin.origin_access_control_id;
    origin.domain_name = 'fixture-web.s3-website-eu-west-1.amazonaws.com';
  }],
  ['SPS-CF-4', 'distribution without an access log delivery', 'aws_cloudfront_distribution.web-cdn', (r) => delete r.aws_cloudwatch_log_delivery],
  ['SPS-CF-5', 'HSTS without preload', 'aws_cloudfront_distribution.web-cdn', (r) => (webHeaders(r).strict_transport_security.preload = false)],
  ['SPS-CF-5', 'frames allowed from the same origin', 'aws_cloudfront_distribution.web-cdn', (r) => (webHeaders(r).frame_options.frame_option = 'SAMEORIGIN')],
  ['SPS-CF-5', 'no response headers policy', 'aws_cloudfront_distribution.web-cdn', (r) => delete webCdn(r).default_cache_behavior.response_headers_policy_id],
  ['SPS-CF-6', "CSP allowing 'unsafe-inline' scripts", 'aws_cloudfront_response_headers_policy.web-headers', (r) => {
    const csp = webHeaders(r).content_security_policy;
    csp.content_security_policy = csp.content_security_policy.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'");
  }],
  ['SPS-CF-6', 'CSP connecting anywhere', 'aws_cloudfront_response_headers_policy.web-headers', (r) => {
    const csp = webHeaders(r).content_security_policy;
    csp.content_security_policy = csp.content_security_policy.replace("connect-src 'self'", "connect-src 'self' https:");
  }],
  ['SPS-OIDC-1', 'GitHub trust without a sub condition', 'aws_iam_role.ci-role', (_r, d) => {
    const s = block(d, 'aws_iam_policy_document', 'ci-trust').statement[0];
    s.condition = s.condition.filter((c: Json) => !c.variable.endsWith(':sub'));
  }],
  ['SPS-OIDC-1', 'GitHub trust for any repository of the owner', 'aws_iam_role.ci-role', (_r, d) => {
    const s = block(d, 'aws_iam_policy_document', 'ci-trust').statement[0];
    s.condition[1] = { test: 'StringLike', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:acme/*'] };
  }],
  ['SPS-CI-1', 'a CI role that may rewrite the policy of CI roles (its own included)', 'aws_iam_role.ci-role', (_r, d) => {
    const doc = block(d, 'aws_iam_policy_document', 'ci-policy-doc');
    doc.statement = doc.statement.filter((s: Json) => s.sid !== 'NoCiRoles');
    doc.statement[1].resources = ['arn:aws:iam::*:role/fixture-*'];
  }],
  ['SPS-CI-1', 'a CI role that may remove permissions boundaries', 'aws_iam_role.ci-role', (_r, d) => {
    const doc = block(d, 'aws_iam_policy_document', 'ci-policy-doc');
    doc.statement = doc.statement.filter((s: Json) => s.sid !== 'NoBoundaryRemoval');
    doc.statement.push({ sid: 'Boundaries', actions: ['iam:DeleteRolePermissionsBoundary'], resources: ['arn:aws:iam::*:role/fixture-prod-*'] });
  }],
  ['SPS-CI-2', 'one apply role trusted by two GitHub environments', 'aws_iam_role.ci-role', (_r, d) => {
    block(d, 'aws_iam_policy_document', 'ci-trust').statement[0].condition[1].values = ['repo:acme/app:environment:prod', 'repo:acme/app:environment:dev'];
  }],
  ['SPS-CI-2', 'a CI role reading every environment state', 'aws_iam_role.ci-role', (_r, d) => {
    block(d, 'aws_iam_policy_document', 'ci-policy-doc').statement[0].resources = ['${aws_s3_bucket.state.arn}/fixture/*'];
  }],
  ['SPS-CI-3', 'a CI role that may create roles without a permissions boundary', 'aws_iam_role.ci-role', (_r, d) => {
    block(d, 'aws_iam_policy_document', 'ci-policy-doc').statement[1].condition = [];
  }],
  ['SPS-CI-3', 'a stack role without the permissions boundary', 'aws_iam_role.fn-role', (r) => delete block(r, 'aws_iam_role', 'fn-role').permissions_boundary],
];

describe('every rule has a compliant and a non-compliant case', () => {
  test('the case table covers every rule of the pack', () => {
    const covered = new Set(cases.map((c) => c[0]).concat(['SPS-AURORA-8', 'SPS-DDB-3', 'SPS-COGNITO-5']));
    expect(allRules.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  test.each([...new Set(cases.map((c) => c[0]))])('%s passes on the compliant stack', (ruleId) => {
    const results = judge(ruleId, compliant);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.verdict !== 'pass')).toEqual([]);
  });

  test.each(cases)('%s catches: %s', (ruleId, _what, failing, change) => {
    const results = judge(ruleId, mutate(compliant, change));
    const failed = results.filter((r) => r.verdict === 'fail');
    expect(failed.map((r) => r.resource)).toEqual([failing]);
    expect(failed[0].message.length).toBeGreaterThan(5);
    expect(failed[0].hint).toBe(ruleById(ruleId)!.fix);
  });
});

describe('environment-dependent rules', () => {
  const unprotected = () =>
    mutate(compliant, (r) => {
      const db = block(r, 'aws_rds_cluster', 'db');
      db.deletion_protection = false;
      db.skip_final_snapshot = true;
      block(r, 'aws_dynamodb_table', 'table').deletion_protection_enabled = false;
    });

  test('SPS-AURORA-8 and SPS-DDB-3 require deletion protection in prod', () => {
    const prod = runPack([{ name: 'prod', json: unprotected() }], { rules: [ruleById('SPS-AURORA-8')!, ruleById('SPS-DDB-3')!] });
    expect(prod.results.map((r) => [r.rule, r.verdict])).toEqual([
      ['SPS-AURORA-8', 'fail'],
      ['SPS-DDB-3', 'fail'],
    ]);
    const protectedProd = runPack([{ name: 'prod', json: compliant }], { rules: [ruleById('SPS-AURORA-8')!, ruleById('SPS-DDB-3')!] });
    expect(protectedProd.summary).toEqual({ pass: 2, fail: 0, suppressed: 0 });
  });

  test('SPS-COGNITO-5 requires deletion protection of the user pool in prod, and accepts an unprotected dev', () => {
    const inactive = mutate(compliant, (r) => (block(r, 'aws_cognito_user_pool', 'user-pool').deletion_protection = 'INACTIVE'));
    expect(judge('SPS-COGNITO-5', inactive, 'prod').map((r) => [r.resource, r.verdict, r.message])).toEqual([
      ['aws_cognito_user_pool.user-pool', 'fail', 'deletion_protection="INACTIVE"'],
    ]);
    expect(judge('SPS-COGNITO-5', compliant, 'prod').map((r) => r.verdict)).toEqual(['pass']);
    expect(judge('SPS-COGNITO-5', inactive).map((r) => r.verdict)).toEqual(['pass']);
  });

  test('SPS-COGNITO-6 refuses threat protection OFF in prod, and accepts ENFORCED on the Plus plan there', () => {
    expect(judge('SPS-COGNITO-6', compliant, 'prod').map((r) => [r.verdict, r.message])).toEqual([['fail', 'advanced_security_mode=OFF in a protected (prod) environment']]);
    const plus = mutate(compliant, (r) => {
      const pool = block(r, 'aws_cognito_user_pool', 'user-pool');
      pool.user_pool_tier = 'PLUS';
      pool.user_pool_add_ons = { advanced_security_mode: 'ENFORCED' };
    });
    expect(judge('SPS-COGNITO-6', plus, 'prod').map((r) => r.verdict)).toEqual(['pass']);
  });

  test('SPS-COGNITO-2 refuses MFA OFF in prod, and accepts it in a dev whose config says OFF', () => {
    const off = mutate(compliant, (r) => {
      const pool = block(r, 'aws_cognito_user_pool', 'user-pool');
      pool.mfa_configuration = 'OFF';
      delete pool.software_token_mfa_configuration;
    });
    expect(judge('SPS-COGNITO-2', off, 'prod').map((r) => [r.verdict, r.message])).toEqual([['fail', 'mfa_configuration=OFF in a protected (prod) environment']]);
    const devOff = configFor('dev', { auth: { groups: [], mfa: 'OFF' } });
    const report = runPack([{ name: 'dev', json: off, config: devOff }], { rules: [ruleById('SPS-COGNITO-2')!], functions });
    expect(report.results.map((r) => r.verdict)).toEqual(['pass']);
  });

  test('SPS-AURORA-8 and SPS-DDB-3 accept an unprotected dev (deletionProtection false)', () => {
    expect(judge('SPS-AURORA-8', unprotected()).map((r) => r.verdict)).toEqual(['pass']);
    expect(judge('SPS-DDB-3', unprotected()).map((r) => r.verdict)).toEqual(['pass']);
  });

  test('SPS-VPC-3 accepts a NAT route with HTTPS egress instead of endpoints, and needs nothing for a function that calls no AWS API', () => {
    const natInstead = mutate(compliant, (r) => {
      delete r.aws_vpc_endpoint;
      r.aws_nat_gateway = { nat: { allocation_id: 'eipalloc-1', subnet_id: 'subnet-public' } };
      for (const az of ['a', 'b']) block(r, 'aws_route_table', `private-rt-${az}`).route = [{ cidr_block: '0.0.0.0/0', nat_gateway_id: '${aws_nat_gateway.nat.id}' }];
      r.aws_vpc_security_group_egress_rule['fn-to-internet'] = { security_group_id: '${aws_security_group.fn-sg.id}', cidr_ipv4: '0.0.0.0/0', ip_protocol: 'tcp', from_port: 443, to_port: 443 };
    });
    expect(judge('SPS-VPC-3', natInstead).map((x) => [x.verdict, x.message])).toEqual([['pass', 'dynamodb, sns through the NAT gateways']]);
    const quiet = mutate(compliant, (_r, d) => {
      block(d, 'aws_iam_policy_document', 'fn-policy-doc').statement = block(d, 'aws_iam_policy_document', 'fn-policy-doc').statement.filter((st: Json) => st.sid === 'Eni');
    });
    expect(judge('SPS-VPC-3', quiet).map((x) => [x.verdict, x.message])).toEqual([['pass', 'calls no AWS API from the VPC']]);
  });

  test('SPS-LAMBDA-6 compares with the registry entry of the function', () => {
    const results = judge('SPS-LAMBDA-6', mutate(compliant, (r) => (block(r, 'aws_lambda_function', 'fn').reserved_concurrent_executions = 7)));
    expect(results[0]).toMatchObject({ verdict: 'fail', message: expect.stringContaining('config asks 5') });
  });

  test("SPS-LOGS-1 holds CloudFront's access log group to web.logRetentionDays, every other group to logRetentionDays", () => {
    const webConfig = configFor('dev', { reservedConcurrency: 5, web: { enabled: true, logRetentionDays: 90 } });
    const logs = (json: Json) =>
      runPack([{ name: 'dev', json, config: webConfig }], { rules: [ruleById('SPS-LOGS-1')!], functions }).results.map((r) => [r.resource, r.verdict]);
    expect(logs(compliant)).toContainEqual(['aws_cloudwatch_log_group.web-logs', 'fail']);
    expect(logs(mutate(compliant, (r) => (block(r, 'aws_cloudwatch_log_group', 'web-logs').retention_in_days = 90))).sort()).toEqual([
      ['aws_cloudwatch_log_group.api-logs', 'pass'],
      ['aws_cloudwatch_log_group.flow-logs', 'pass'],
      ['aws_cloudwatch_log_group.fn-logs', 'pass'],
      ['aws_cloudwatch_log_group.web-logs', 'pass'],
    ]);
  });

  test('SPS-S3-6 and SPS-CF-3 judge only buckets and origins of S3 (a custom origin is out of scope)', () => {
    const custom = mutate(compliant, (r) => (webCdn(r).origin[0] = { origin_id: 'api', domain_name: 'api.example.com', custom_origin_config: { origin_protocol_policy: 'https-only' } }));
    expect(judge('SPS-S3-6', custom)).toEqual([]);
    expect(judge('SPS-CF-3', custom)).toEqual([]);
  });

  test('SPS-SM-1/SPS-SM-2 accept the RDS-managed master secret encrypted with our key', () => {
    const noStandaloneSecret = mutate(compliant, (r) => {
      delete r.aws_secretsmanager_secret;
      delete r.aws_secretsmanager_secret_rotation;
    });
    for (const id of ['SPS-SM-1', 'SPS-SM-2']) {
      const results = judge(id, noStandaloneSecret);
      expect(results.map((r) => [r.resource, r.verdict])).toEqual([['aws_rds_cluster.db', 'pass']]);
    }
  });
});

describe('SPS-API-3 with the registry: public reasons as suppressions', () => {
  /** The compliant stack with POST /posts made public (no authorizer), judged with the suppressions the registry gives. */
  function judgePublicPost(entry: Partial<RouteDefinition>) {
    const json = mutate(compliant, (r) => {
      const route = block(r, 'aws_apigatewayv2_route', 'signed-in-route');
      route.authorization_type = 'NONE';
      delete route.authorizer_id;
    });
    const registry: RouteDefinition[] = [functions[0]!, { name: 'posts-create', method: 'POST', path: '/posts', handler: 'plain.ts', ...entry }];
    const report = runPack([{ name: 'dev', json, config }], { rules: [ruleById('SPS-API-3')!], functions: registry, suppressions: suppressionsFor(registry, []) });
    return report.results.find((r) => r.resource === 'aws_apigatewayv2_route.signed-in-route')!;
  }

  test('a public route that writes data, whose reason says how abuse is bounded, is suppressed with that reason', () => {
    const row = judgePublicPost({ public: 'Open guestbook; abuse is bounded by stage throttling' });
    expect(row).toMatchObject({ verdict: 'suppressed', suppression: { reason: 'Open guestbook; abuse is bounded by stage throttling' } });
  });

  test('a public route that writes data without saying how abuse is bounded is a violation that says so', () => {
    const row = judgePublicPost({ public: 'Anyone may post to the guestbook' });
    expect(row.verdict).toBe('fail');
    expect(row.message).toMatch(/^POST \/posts: no authorization; a public route that writes data \(POST\) must say how abuse is bounded: mention one of "throttl", "rate limit"/);
  });

  test('a route whose registry entry declares neither auth nor a public reason is a violation', () => {
    const row = judgePublicPost({});
    expect(row).toMatchObject({ verdict: 'fail', message: 'POST /posts: no authorization; its registry entry declares neither auth nor a public reason' });
  });

  test('a route whose registry entry has auth but no authorizer on the route is a violation', () => {
    expect(judgePublicPost({ auth: {} })).toMatchObject({ verdict: 'fail', message: 'POST /posts: no authorization; its registry entry has auth, but the route has no authorizer' });
  });

  test('a public read keeps its short reason', () => {
    const json = mutate(compliant, (r) => (block(r, 'aws_apigatewayv2_route', 'route').route_key = 'GET /health'));
    const withoutAuth = mutate(json, (r) => delete block(r, 'aws_apigatewayv2_route', 'route').authorization_type);
    const report = runPack([{ name: 'dev', json: withoutAuth, config }], { rules: [ruleById('SPS-API-3')!], functions, suppressions: suppressionsFor(functions, []) });
    expect(report.results.find((r) => r.resource === 'aws_apigatewayv2_route.route')).toMatchObject({ verdict: 'suppressed' });
  });
});
