/**
 * Local IAM: each function gets its own credentials (as Lambda gives each
 * function its role's), and the local stand-ins that AWS would authorise (the
 * RDS Proxy emulator, Secrets Manager, the Data API) check the caller's access
 * key against the same grants the stack writes for that function
 * (infra/function-contract.ts). A function that lacks a grant in AWS is
 * refused locally too.
 *
 * Only Allow statements with exact actions exist in our grants; resources may
 * hold IAM's wildcards (`*` for table indexes). Conditions (kms:ViaService) concern KMS, which
 * is not emulated, and are not evaluated.
 */
import { randomBytes } from 'node:crypto';
import type { Grant } from '../../infra/function-contract';
import { matchesIamPattern } from '../../infra/iam-pattern';

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export interface LocalPrincipal {
  /** The function's registry name (or a tool's name). */
  readonly name: string;
  readonly credentials: LocalCredentials;
  readonly grants: readonly Grant[];
}

export class LocalIam {
  private readonly byKey = new Map<string, LocalPrincipal>();

  /** Credentials for a principal with these grants (temporary-style keys, as a Lambda role session has). */
  issue(name: string, grants: readonly Grant[]): LocalCredentials {
    const credentials: LocalCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
    };
    this.byKey.set(credentials.accessKeyId, { name, credentials, grants });
    return credentials;
  }

  principal(accessKeyId: string): LocalPrincipal | undefined {
    return this.byKey.get(accessKeyId);
  }

  /** Whether the holder of `accessKeyId` may call `action` on `resource`. */
  allows(accessKeyId: string, action: string, resource: string): boolean {
    const principal = this.byKey.get(accessKeyId);
    if (!principal) return false;
    return principal.grants.some((g) => g.actions.includes(action) && g.resources.some((r) => matchesIamPattern(r, resource)));
  }
}

/** The access key named in a SigV4 `Authorization` header (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}
