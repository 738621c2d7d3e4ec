/**
 * A small compliant stack built with the real provider classes (deep imports)
 * and synthesized in memory: every rule of the pack has at least one resource
 * to judge here. Tests break one thing at a time with `mutate`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Fn, TerraformStack, Testing } from 'cdktf';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudfrontDistribution } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { CloudfrontResponseHeadersPolicy } from '@cdktf/provider-aws/lib/cloudfront-response-headers-policy';
import { CloudwatchLogDelivery } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery';
import { CloudwatchLogDeliveryDestination } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination';
import { CloudwatchLogDeliverySource } from '@cdktf/provider-aws/lib/cloudwatch-log-delivery-source';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DbProxy } from '@cdktf/provider-aws/lib/db-proxy';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { PASSWORD_POLICY } from '../../infra/constructs/user-pool';
import { cognitoOrigin, contentSecurityPolicy, FRAME_OPTIONS, HSTS, REFERRER_POLICY } from '../../infra/web-headers';
import { testApp } from '../support/temp';
import { addEndpoints } from './fixture-endpoints';
import { addMessaging } from './fixture-messaging';


export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Builds the compliant stack with the real provider classes; returns the stack (for hooks) and its JSON. */
export function buildCompliantStack(extend?: (stack: TerraformStack) => void): { stack: TerraformStack; json: Json } {
  const stack = new TerraformStack(testApp(), 'fixture');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });

  const key = new KmsKey(stack, 'key', { description: 'fixture key', enableKeyRotation: true });
  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '10.0.0.0/16', enableDnsHostnames: true, enableDnsSupport: true });
  new DefaultSecurityGroup(stack, 'default-sg', { vpcId: vpc.id, ingress: [], egress: [] });
  const flowGroup = new CloudwatchLogGroup(stack, 'flow-logs', { name: '/vpc/fixture', retentionInDays: 14 });
  const boundaryArn = 'arn:aws:iam::123456789012:policy/fixture-prod-boundary';
  const flowRole = new IamRole(stack, 'flow-role', {
    name: 'fixture-flow',
    permissionsBoundary: boundaryArn,
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
  });
  new FlowLog(stack, 'flow-log', { vpcId: vpc.id, trafficType: 'ALL', logDestination: flowGroup.arn, iamRoleArn: flowRole.arn });

  const routeTables: RouteTable[] = [];
  const subnets = ['a', 'b'].map((az, i) => {
    const subnet = new Subnet(stack, `private-${az}`, {
      vpcId: vpc.id,
      availabilityZone: `eu-west-1${az}`,
      cidrBlock: `10.0.${i}.0/24`,
      mapPublicIpOnLaunch: false,
    });
    const table = new RouteTable(stack, `private-rt-${az}`, { vpcId: vpc.id });
    new RouteTableAssociation(stack, `private-rta-${az}`, { subnetId: subnet.id, routeTableId: table.id });
    routeTables.push(table);
    return subnet;
  });

  const fnSg = new SecurityGroup(stack, 'fn-sg', { name: 'fixture-fn', description: 'Functions', vpcId: vpc.id });
  addEndpoints(stack, vpc, subnets, routeTables, fnSg);
  const dbSg = new SecurityGroup(stack, 'db-sg', { name: 'fixture-db', description: 'Database', vpcId: vpc.id });
  new VpcSecurityGroupEgressRule(stack, 'fn-to-db', {
    securityGroupId: fnSg.id,
    referencedSecurityGroupId: dbSg.id,
    ipProtocol: 'tcp',
    fromPort: 5432,
    toPort: 5432,
    description: 'PostgreSQL to the database',
  });
  new VpcSecurityGroupIngressRule(stack, 'db-from-fn', {
    securityGroupId: dbSg.id,
    referencedSecurityGroupId: fnSg.id,
    ipProtocol: 'tcp',
    fromPort: 5432,
    toPort: 5432,
    description: 'PostgreSQL from functions',
  });

  const table = new DynamodbTable(stack, 'table', {
    name: 'sps-dev-posts',
    billingMode: 'PAY_PER_REQUEST',
    hashKey: 'id',
    attribute: [{ name: 'id', type: 'S' }],
    pointInTimeRecovery: { enabled: true },
    serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
    deletionProtectionEnabled: true,
  });

  const fnLogs = new CloudwatchLogGroup(stack, 'fn-logs', { name: '/aws/lambda/sps-dev-health', retentionInDays: 14 });
  const trust = new DataAwsIamPolicyDocument(stack, 'fn-trust', {
    statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }] }],
  });
  const role = new IamRole(stack, 'fn-role', { name: 'sps-dev-health', assumeRolePolicy: trust.json, permissionsBoundary: boundaryArn });
  const doc = new DataAwsIamPolicyDocument(stack, 'fn-policy-doc', {
    statement: [
      {
        sid: 'Eni',
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface'],
        resources: ['*'],
      },
      { sid: 'Table', actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [table.arn, `${table.arn}/index/*`] },
      { sid: 'Publish', actions: ['sns:Publish'], resources: ['arn:aws:sns:eu-west-1:123456789012:sps-dev-registrations'] },
    ],
  });
  new IamRolePolicy(stack, 'fn-policy', { name: 'function', role: role.id, policy: doc.json });
  // A second, jsonencode'd document on the same role (the other shape cdktf writes).
  new IamRolePolicy(stack, 'fn-policy-logs', {
    name: 'logs',
    role: role.id,
    policy: Fn.jsonencode({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`${fnLogs.arn}:*`] }],
    }),
  });
  const fn = new LambdaFunction(stack, 'fn', {
    functionName: 'sps-dev-health',
    role: role.arn,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    filename: 'fn.zip',
    memorySize: 256,
    timeout: 5,
    reservedConcurrentExecutions: 5,
    environment: { variables: { APP_ENV: 'dev', TABLE_POSTS: table.name, DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x' } },
    vpcConfig: { subnetIds: subnets.map((s) => s.id), securityGroupIds: [fnSg.id] },
    loggingConfig: { logFormat: 'JSON', logGroup: fnLogs.name },
  });

  const params = new RdsClusterParameterGroup(stack, 'db-params', {
    name: 'fixture',
    family: 'aurora-postgresql16',
    parameter: [{ name: 'rds.force_ssl', value: '1' }],
  });
  const subnetGroup = new DbSubnetGroup(stack, 'db-subnets', { name: 'fixture', subnetIds: subnets.map((s) => s.id) });
  const cluster = new RdsCluster(stack, 'db', {
    clusterIdentifier: 'fixture',
    engine: 'aurora-postgresql',
    engineMode: 'provisioned',
    engineVersion: '16.6',
    masterUsername: 'app_admin',
    manageMasterUserPassword: true,
    masterUserSecretKmsKeyId: key.arn,
    storageEncrypted: true,
    kmsKeyId: key.arn,
    iamDatabaseAuthenticationEnabled: true,
    dbClusterParameterGroupName: params.name,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: [dbSg.id],
    enabledCloudwatchLogsExports: ['postgresql'],
    backupRetentionPeriod: 7,
    copyTagsToSnapshot: true,
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: 'fixture-final',
    serverlessv2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 4 },
  });
  new RdsClusterInstance(stack, 'db-instance', {
    clusterIdentifier: cluster.id,
    instanceClass: 'db.serverless',
    engine: 'aurora-postgresql',
    publiclyAccessible: false,
  });
  new DbProxy(stack, 'proxy', {
    name: 'fixture',
    engineFamily: 'POSTGRESQL',
    roleArn: role.arn,
    vpcSubnetIds: subnets.map((s) => s.id),
    requireTls: true,
    debugLogging: false,
    auth: [{ authScheme: 'SECRETS', iamAuth: 'REQUIRED', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!x' }],
  });

  const secret = new SecretsmanagerSecret(stack, 'secret', { name: 'fixture', kmsKeyId: key.arn });
  new SecretsmanagerSecretRotation(stack, 'secret-rotation', {
    secretId: secret.id,
    rotationLambdaArn: 'arn:aws:lambda:eu-west-1:123456789012:function:rotate',
    rotationRules: { automaticallyAfterDays: 30 },
  });

  const api = new Apigatewayv2Api(stack, 'api', { name: 'fixture', protocolType: 'HTTP' });
  const apiLogs = new CloudwatchLogGroup(stack, 'api-logs', { name: '/aws/apigateway/fixture', retentionInDays: 14 });
  new Apigatewayv2Stage(stack, 'stage', {
    apiId: api.id,
    name: '$default',
    autoDeploy: true,
    accessLogSettings: { destinationArn: apiLogs.arn, format: '{"requestId":"$context.requestId"}' },
    defaultRouteSettings: { throttlingRateLimit: 100, throttlingBurstLimit: 200 },
  });
  new Apigatewayv2Route(stack, 'route', { apiId: api.id, routeKey: 'GET /private', authorizationType: 'AWS_IAM' });

  // Sign-in: a user pool (MFA as the dev fixture config asks), its browser client, the JWT authorizer and a route behind it.
  const pool = new CognitoUserPool(stack, 'user-pool', {
    name: 'fixture-users',
    usernameAttributes: ['email'],
    autoVerifiedAttributes: ['email'],
    userAttributeUpdateSettings: { attributesRequireVerificationBeforeUpdate: ['email'] },
    passwordPolicy: { ...PASSWORD_POLICY },
    mfaConfiguration: 'OPTIONAL',
    softwareTokenMfaConfiguration: { enabled: true },
    userPoolTier: 'ESSENTIALS',
    userPoolAddOns: { advancedSecurityMode: 'OFF' },
    deletionProtection: 'ACTIVE',
  });
  const client = new CognitoUserPoolClient(stack, 'user-pool-client', {
    name: 'fixture-web',
    userPoolId: pool.id,
    generateSecret: false,
    explicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    preventUserExistenceErrors: 'ENABLED',
  });
  const authorizer = new Apigatewayv2Authorizer(stack, 'jwt-authorizer', {
    apiId: api.id,
    name: 'fixture-jwt',
    authorizerType: 'JWT',
    identitySources: ['$request.header.Authorization'],
    jwtConfiguration: { issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${pool.id}`, audience: [client.id] },
  });
  new Apigatewayv2Route(stack, 'signed-in-route', { apiId: api.id, routeKey: 'POST /posts', authorizationType: 'JWT', authorizerId: authorizer.id });

  const bucket = new S3Bucket(stack, 'state', { bucket: 'fixture-state' });
  new S3BucketVersioningA(stack, 'state-versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(stack, 'state-sse', {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn } }],
  });
  new S3BucketPublicAccessBlock(stack, 'state-pab', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  const tls = new DataAwsIamPolicyDocument(stack, 'state-policy-doc', { statement: [denyWithoutTls(bucket)] });
  new S3BucketPolicy(stack, 'state-policy', { bucket: bucket.id, policy: tls.json });
  new S3BucketOwnershipControls(stack, 'state-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  webFrontEnd(stack, key, api);

  const oidc = new IamOpenidConnectProvider(stack, 'github', { url: 'https://token.actions.githubusercontent.com', clientIdList: ['sts.amazonaws.com'] });
  const ciTrust = new DataAwsIamPolicyDocument(stack, 'ci-trust', {
    statement: [
      {
        actions: ['sts:AssumeRoleWithWebIdentity'],
        principals: [{ type: 'Federated', identifiers: [oidc.arn] }],
        condition: [
          { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: ['sts.amazonaws.com'] },
          { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:acme/app:environment:prod'] },
        ],
      },
    ],
  });
  const ciRole = new IamRole(stack, 'ci-role', { name: 'fixture-ci-prod-apply', assumeRolePolicy: ciTrust.json });
  // What a compliant apply role does with IAM: its environment's roles, only under the boundary; never a CI role.
  const ciPolicy = new DataAwsIamPolicyDocument(stack, 'ci-policy-doc', {
    statement: [
      {
        sid: 'ReadOwnState',
        actions: ['s3:GetObject'],
        resources: [`${bucket.arn}/fixture/prod.tfstate`],
      },
      {
        sid: 'CreateRolesWithBoundary',
        actions: ['iam:CreateRole', 'iam:PutRolePolicy'],
        resources: ['arn:aws:iam::*:role/fixture-prod-*'],
        condition: [{ test: 'StringEquals', variable: 'iam:PermissionsBoundary', values: [boundaryArn] }],
      },
      { sid: 'NoCiRoles', effect: 'Deny', actions: ['iam:*'], resources: ['arn:aws:iam::*:role/fixture-ci-*', 'arn:aws:iam::*:policy/fixture-*-boundary'] },
      { sid: 'NoBoundaryRemoval', effect: 'Deny', actions: ['iam:DeleteRolePermissionsBoundary'], resources: ['*'] },
    ],
  });
  new IamRolePolicy(stack, 'ci-policy', { name: 'terraform-apply', role: ciRole.id, policy: ciPolicy.json });

  addMessaging(stack, key, fn);

  extend?.(stack);
  return { stack, json: JSON.parse(Testing.synth(stack)) as Json };
}

/** The bucket policy statement that refuses every request without TLS. */
function denyWithoutTls(bucket: S3Bucket) {
  return {
    effect: 'Deny',
    actions: ['s3:*'],
    resources: [bucket.arn, `${bucket.arn}/*`],
    principals: [{ type: '*', identifiers: ['*'] }],
    condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
  };
}

/** A compliant web front end: private bucket read by its distribution through OAC, HTTPS with TLS 1.2, headers, access logs. */
function webFrontEnd(stack: TerraformStack, key: KmsKey, api: Apigatewayv2Api): void {
  const bucket = new S3Bucket(stack, 'web', { bucketPrefix: 'fixture-web-' });
  new S3BucketVersioningA(stack, 'web-versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(stack, 'web-sse', {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn } }],
  });
  new S3BucketPublicAccessBlock(stack, 'web-pab', { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
  new S3BucketOwnershipControls(stack, 'web-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  const oac = new CloudfrontOriginAccessControl(stack, 'web-oac', { name: 'fixture-web', originAccessControlOriginType: 's3', signingBehavior: 'always', signingProtocol: 'sigv4' });
  const headers = new CloudfrontResponseHeadersPolicy(stack, 'web-headers', {
    name: 'fixture-web',
    securityHeadersConfig: {
      contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy({ api: api.apiEndpoint, auth: [cognitoOrigin('eu-west-1')] }), override: true },
      strictTransportSecurity: { accessControlMaxAgeSec: HSTS.maxAgeSeconds, includeSubdomains: true, preload: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: FRAME_OPTIONS, override: true },
      referrerPolicy: { referrerPolicy: REFERRER_POLICY, override: true },
    },
  });
  const distribution = new CloudfrontDistribution(stack, 'web-cdn', {
    enabled: true,
    aliases: ['app.example.com'],
    origin: [{ originId: 's3', domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
    defaultCacheBehavior: {
      targetOriginId: 's3',
      viewerProtocolPolicy: 'redirect-to-https',
      allowedMethods: ['GET', 'HEAD'],
      cachedMethods: ['GET', 'HEAD'],
      cachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      responseHeadersPolicyId: headers.id,
    },
    restrictions: { geoRestriction: { restrictionType: 'none' } },
    viewerCertificate: {
      acmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
      sslSupportMethod: 'sni-only',
      minimumProtocolVersion: 'TLSv1.2_2021',
    },
  });
  const cloudfront = [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }];
  const policy = new DataAwsIamPolicyDocument(stack, 'web-policy-doc', {
    statement: [
      {
        actions: ['s3:GetObject'],
        resources: [`${bucket.arn}/*`],
        principals: cloudfront,
        condition: [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [distribution.arn] }],
      },
      denyWithoutTls(bucket),
    ],
  });
  new S3BucketPolicy(stack, 'web-policy', { bucket: bucket.id, policy: policy.json });
  const logs = new CloudwatchLogGroup(stack, 'web-logs', { name: '/aws/cloudfront/fixture/access', retentionInDays: 14 });
  const source = new CloudwatchLogDeliverySource(stack, 'web-log-source', { name: 'fixture-web', logType: 'ACCESS_LOGS', resourceArn: distribution.arn });
  const destination = new CloudwatchLogDeliveryDestination(stack, 'web-log-destination', {
    name: 'fixture-web',
    deliveryDestinationConfiguration: [{ destinationResourceArn: logs.arn }],
  });
  new CloudwatchLogDelivery(stack, 'web-log-delivery', { deliverySourceName: source.name, deliveryDestinationArn: destination.arn });
}

/** The stack's `cdk.tf.json` as `cdktf synth` writes it (with the construct metadata `Testing.synth` drops). */
export function synthToFile(stack: TerraformStack): Json {
  const app = stack.node.root as App;
  app.synth();
  return JSON.parse(readFileSync(join(app.outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8')) as Json;
}

/** A deep copy of `json` changed by `change` (which receives the `resource` and `data` maps). */
export function mutate(json: Json, change: (resource: Json, data: Json) => void): Json {
  const copy = structuredClone(json);
  change(copy.resource, copy.data);
  return copy;
}

/** A resource block of the JSON by type and logical name. */
export function block(map: Json, type: string, name: string): Json {
  const b = map[type]?.[name];
  if (!b) throw new Error(`fixture has no ${type}.${name}`);
  return b as Json;
}
