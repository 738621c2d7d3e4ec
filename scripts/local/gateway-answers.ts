/**
 * The answers API Gateway (HTTP API) makes itself, when no function answers:
 * status, exact body bytes and headers, as AWS sends them. Research and
 * sources: docs/local-runtime.md#answers-api-gateway-makes-itself.
 *
 * A real 500 from an HTTP API, recorded by AWS's Lambda Test Tool (its
 * snapshot ToApiGatewayHttpApiV2ProxyResponse_StatusCodeAsFloat_ReturnsInternalServerError.json,
 * https://github.com/aws/aws-lambda-dotnet/tree/master/Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests/Snapshots)
 * carries exactly `date`, `connection: keep-alive`, `apigw-requestid`,
 * `content-type: application/json` and `content-length`: no CORS header (the
 * API has no cors_configuration), no security header, no cache-control.
 */
import { randomBytes } from 'node:crypto';

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/** API Gateway's request payload limit (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html). */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Lambda refuses a synchronous invocation whose event is larger ("Request must be smaller than 6291456 bytes"). */
export const MAX_LAMBDA_REQUEST_BYTES = 6 * 1024 * 1024;
/** Lambda refuses a result larger than this ("Response payload size exceeded maximum allowed payload size (6291556 bytes)"). */
export const MAX_LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;

/** `{"message":"<reason phrase>"}`, application/json: the shape of every HTTP API answer. */
const answer = (statusCode: number, message: string) => (): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message })),
});

/** No route for the method and path (also HEAD on a GET route, a trailing slash). */
export const NOT_FOUND = answer(404, 'Not Found');
/**
 * The event is over Lambda's request limit, which AWS's emulator answers so
 * for HTTP APIs (LambdaTestTool-v2 InvokeResponseExtensions.ToHttpApiV2RequestTooLargeResponse).
 * A body over 10 MB gets the same answer locally; AWS's bytes for that case
 * are not verified for HTTP APIs (REST APIs answer plain text).
 */
export const TOO_LARGE = answer(413, 'Request Entity Too Large');
/** A function error or timeout, a malformed or oversize result (recorded, see above). */
export const INTERNAL_ERROR = answer(500, 'Internal Server Error');
// The integration timeout's 503 {"message":"Service Unavailable"}
// (serverless/serverless#11222, anomalyco/sst#2232) is never produced locally: the
// stack's integration waits the function's timeout + 1 s, so the function times out first (500).

/**
 * A request id as API Gateway's look: 16 characters, URL-safe base64 of 11
 * bytes with one `=` ("JCJp2jd_vHcEPSQ=", "Mc7UVioPPHcEKPA=").
 */
export function requestId(): string {
  return `${randomBytes(11).toString('base64url')}=`;
}
