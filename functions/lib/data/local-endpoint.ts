/**
 * SDK client settings for a local stand-in (dynalite, the local Data API
 * endpoint) named by an environment variable that only the local runtime sets.
 * Unset (in AWS): nothing, so the client uses its real endpoint and the
 * function's role. The stand-ins check no signatures, so placeholder
 * credentials do when none are configured.
 */
export function localEndpointConfig(endpoint: string | undefined): {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  if (!endpoint) return {};
  return {
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(process.env.AWS_ACCESS_KEY_ID ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  };
}
