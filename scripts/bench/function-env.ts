/**
 * Stand-in values for every environment variable the registry's functions
 * read at init, for importing their bundles outside AWS and outside the local
 * runtime (bench:handlers, and the bundling test that imports every function
 * as Lambda would). Nothing is contacted at import; the values only have to
 * be well formed.
 */
export const SAMPLE_FUNCTION_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDSAMPLE',
  AWS_SECRET_ACCESS_KEY: 'sample',
  TABLE_POSTS: 'sample-posts',
  DB_PROXY_ENDPOINT: 'proxy.example.com',
  DB_PORT: '5432',
  DB_USER: 'app',
  DB_NAME: 'app',
  DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:123456789012:cluster:sample',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sample',
  CORS_ORIGINS: 'https://app.example.com',
  NODE_NO_WARNINGS: '1',
} as const;
