/**
 * The stack's outputs (`terraform output`, `cdktf output <env>`): what an
 * operator or a pipeline reads after an apply (the API URL, table and
 * function names, the proxy endpoint, secret ARNs, the sign-in ids, the web
 * front end's addresses). Values are references; no secret value is output.
 */
import { TerraformOutput } from 'cdktf';
import type { PlatformStack } from './stack';
import { webOutputs } from './web-front-end';

export function stackOutputs(stack: PlatformStack): void {
  const out = (id: string, value: unknown, description: string) => new TerraformOutput(stack, id, { value, description });
  out('api_url', stack.api.url, 'HTTP API invoke URL');
  for (const [name, table] of Object.entries(stack.tables)) out(`table_${name.replace(/[^A-Za-z0-9]/g, '_')}`, table.name, `DynamoDB table "${name}"`);
  if (stack.proxy) out('proxy_endpoint', stack.proxy.endpoint, 'RDS Proxy endpoint (TLS + IAM auth)');
  out('cluster_arn', stack.database.cluster.arn, 'Aurora cluster ARN');
  out('secret_arn', stack.database.secretArn, 'ARN of the RDS-managed master secret (the value stays in Secrets Manager)');
  if (stack.appSecret) {
    out('app_secret_arn', stack.appSecret.arn, `ARN of the application role's secret (${stack.config.aurora.appUsername}; filled by the migration task)`);
  }
  out('user_pool_id', stack.userPool.userPoolId, 'Cognito user pool id (sign-in)');
  out('user_pool_client_id', stack.userPool.clientId, 'App client id of the web front end (public client: SRP and refresh tokens, no secret)');
  out('jwt_issuer', stack.userPool.issuer, 'Issuer (iss) of the tokens the API accepts; JWKS at <issuer>/.well-known/jwks.json');
  if (stack.web) webOutputs(stack, stack.web);
  out(
    'function_names',
    Object.fromEntries(Object.entries(stack.functions).map(([n, f]) => [n, f.functionName])),
    'Lambda function names by registry name',
  );
}
