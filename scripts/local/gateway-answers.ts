/**
 * The answers API Gateway (HTTP API) makes itself, when no function answers
 * (or its JWT authorizer refuses a request): status, exact body bytes and
 * headers, as AWS sends them. Research and
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

/**
 * The JWT authorizer's refusal of a missing or invalid token, recorded: no
 * `content-type`, and a `www-authenticate` challenge. Without a token it is
 * `Bearer` alone (a live probe); with one, `Bearer scope="" error="invalid_token"
 * error_description="…"` (AWS's troubleshooting page: "the token does not have
 * a valid audience"; the live probe: "token contains an invalid number of
 * segments"). Sources: docs/local-runtime.md#sign-in-locally.
 */
export function authorizerUnauthorized(description?: string): HttpResponse {
  const challenge = description === undefined ? 'Bearer' : `Bearer scope="" error="invalid_token" error_description="${description}"`;
  return { statusCode: 401, headers: { 'www-authenticate': challenge }, cookies: [], body: Buffer.from(JSON.stringify({ message: 'Unauthorized' })) };
}
/**
 * A valid token without one of the route's scopes: 403 `{"message":"Forbidden"}`
 * (measured on a live HTTP API, floci-io/floci#2011). Its headers are not
 * recorded; taken to be those of the other answers.
 */
export const AUTHORIZER_FORBIDDEN = answer(403, 'Forbidden');
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
