/**
 * One typed config per environment. Each becomes its own cdktf stack
 * (`npx cdktf plan dev`, `npx cdktf plan prod`). The local runtime reads the
 * `dev` entry too (CORS origins), so nothing is declared twice.
 */
import type { EnvironmentConfigInput } from './schema';

export const environments = {
  dev: {
    name: 'dev',
    project: 'sps',
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    vpcCidr: '10.20.0.0/16',
    natGateways: false,
    aurora: {
      engineVersion: '16.6',
      minCapacity: 0.5,
      maxCapacity: 4,
      instances: 1,
      backupRetentionDays: 7,
    },
    proxy: { enabled: true },
    dataApi: { enabled: true },
    logRetentionDays: 14,
    corsOrigins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
    deletionProtection: false,
    lambdaArchitecture: 'arm64',
    auth: { groups: ['organizers'] },
    web: { enabled: true },
  },
  prod: {
    name: 'prod',
    project: 'sps',
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    vpcCidr: '10.30.0.0/16',
    natGateways: false,
    aurora: {
      engineVersion: '16.6',
      minCapacity: 1,
      maxCapacity: 16,
      instances: 2,
      backupRetentionDays: 14,
    },
    proxy: { enabled: true },
    dataApi: { enabled: true },
    logRetentionDays: 90,
    corsOrigins: ['https://app.example.com'],
    reservedConcurrency: 50,
    deletionProtection: true,
    lambdaArchitecture: 'arm64',
    api: { throttlingRateLimit: 500, throttlingBurstLimit: 1000 },
    auth: { groups: ['organizers'], featurePlan: 'PLUS', threatProtection: 'ENFORCED' },
    // Replace with your domain and its ACM certificate (us-east-1): only then can CloudFront refuse TLS < 1.2.
    web: { enabled: true, customDomain: { name: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000' } },
  },
} satisfies Record<string, EnvironmentConfigInput>;

export type EnvironmentName = keyof typeof environments;
