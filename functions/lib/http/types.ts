/**
 * The parts of the Lambda / API Gateway HTTP API (payload 2.0) contract our
 * handlers use. Declared here instead of pulling in @types/aws-lambda.
 */
export interface HttpEvent {
  version: '2.0';
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded: boolean;
  stageVariables?: Record<string, string | undefined>;
  requestContext: {
    accountId?: string;
    apiId?: string;
    domainName?: string;
    domainPrefix?: string;
    requestId: string;
    routeKey?: string;
    stage?: string;
    time?: string;
    timeEpoch?: number;
    http: { method: string; path: string; protocol?: string; sourceIp?: string; userAgent?: string };
  };
}

export interface LambdaContext {
  awsRequestId: string;
  functionName?: string;
  functionVersion?: string;
  invokedFunctionArn?: string;
  memoryLimitInMB?: string;
  logGroupName?: string;
  logStreamName?: string;
  callbackWaitsForEmptyEventLoop?: boolean;
  getRemainingTimeInMillis(): number;
}

/** What a Lambda integration returns to API Gateway (payload 2.0). */
export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  cookies?: string[];
}
