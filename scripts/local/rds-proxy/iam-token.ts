/**
 * Checks an RDS IAM auth token as RDS Proxy does: a SigV4-presigned
 * `https://<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-…` (what
 * `@aws-sdk/rds-signer` makes, without the scheme), made for this proxy's host
 * and port and for the user logging in, not expired (X-Amz-Expires, 900 s at
 * most: tokens live 15 minutes), signed with the caller's credentials, whose
 * grants allow `rds-db:connect` as that user. The signature is recomputed with
 * the SDK's own signer (@smithy/signature-v4), never by hand.
 */
import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalIam } from '../iam';

/** IAM database authentication tokens are valid for 15 minutes. */
export const MAX_TOKEN_SECONDS = 900;
/** Clock skew AWS tolerates for a token dated in the future. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface TokenContext {
  /** The proxy endpoint the token must be made for (DB_PROXY_ENDPOINT) and its port. */
  readonly host: string;
  readonly port: number;
  /** The user of the startup packet. */
  readonly user: string;
  readonly region: string;
  readonly iam: LocalIam;
  /** `arn:…:rds-db:…:dbuser:<proxy id>/<user>` the caller must be allowed to connect as. */
  readonly dbUserArn: string;
  readonly now?: Date;
}

export type TokenVerdict = { readonly ok: true; readonly principal: string } | { readonly ok: false; readonly reason: string };

function amzDate(text: string | null): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

const fail = (reason: string): TokenVerdict => ({ ok: false, reason });

export async function verifyAuthToken(token: string, ctx: TokenContext): Promise<TokenVerdict> {
  let url: URL;
  try {
    url = new URL(`https://${token}`);
  } catch {
    return fail('the password is not an RDS IAM auth token');
  }
  const q = url.searchParams;
  if (q.get('Action') !== 'connect' || !q.get('X-Amz-Signature')) return fail('the password is not an RDS IAM auth token');
  if (url.host !== `${ctx.host}:${ctx.port}`) return fail(`the token was made for ${url.host}, not this proxy (${ctx.host}:${ctx.port})`);
  if (q.get('DBUser') !== ctx.user) return fail(`the token was made for user ${JSON.stringify(q.get('DBUser'))}, not ${JSON.stringify(ctx.user)}`);
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || q.get('X-Amz-SignedHeaders') !== 'host') return fail('the token is not signed with SigV4 over the host header');
  const [accessKeyId, day, region, service, terminator] = (q.get('X-Amz-Credential') ?? '').split('/');
  if (!accessKeyId || service !== 'rds-db' || terminator !== 'aws4_request') return fail('the token is not for the rds-db service');
  if (region !== ctx.region) return fail(`the token was signed for region ${region}, not ${ctx.region}`);
  const signedAt = amzDate(q.get('X-Amz-Date'));
  const expires = Number(q.get('X-Amz-Expires'));
  if (!signedAt || !signedAt.toISOString().replace(/-/g, '').startsWith(day ?? '-')) return fail('the token has no valid X-Amz-Date');
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_TOKEN_SECONDS) return fail(`X-Amz-Expires must be 1 to ${MAX_TOKEN_SECONDS} seconds`);
  const now = (ctx.now ?? new Date()).getTime();
  if (now > signedAt.getTime() + expires * 1000) return fail(`the token expired ${Math.round((now - signedAt.getTime()) / 1000 - expires)} s ago`);
  if (signedAt.getTime() > now + CLOCK_SKEW_MS) return fail('the token is dated in the future');

  const principal = ctx.iam.principal(accessKeyId);
  if (!principal) return fail(`access key ${accessKeyId} is unknown`);
  const signer = new SignatureV4({ service: 'rds-db', region: ctx.region, credentials: principal.credentials, sha256: Sha256 });
  const expected = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: ctx.host,
      port: ctx.port,
      path: '/',
      query: { Action: 'connect', DBUser: ctx.user },
      headers: { host: `${ctx.host}:${ctx.port}` },
    }),
    { signingDate: signedAt, expiresIn: expires },
  );
  const want = Buffer.from(String(expected.query?.['X-Amz-Signature'] ?? ''));
  const got = Buffer.from(q.get('X-Amz-Signature')!);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return fail('the signature does not match the credentials of its access key');
  if (!ctx.iam.allows(accessKeyId, 'rds-db:connect', ctx.dbUserArn)) {
    return fail(`${principal.name} is not allowed rds-db:connect on ${ctx.dbUserArn}`);
  }
  return { ok: true, principal: principal.name };
}
