/**
 * `npm run dev:token -- <email> [--group <name>]…`: a token the local API
 * accepts, from the user pool of the running `npm run dev` (see
 * docs/local-runtime.md#sign-in-locally). The user is created if needed
 * (verified email, a generated password kept in .local/), added to the
 * groups, and signed in through the pool's auth flow. The token is the last
 * line of output, alone on stdout:
 *
 *   TOKEN=$(npm run -s dev:token -- ann@example.com --group organizers | tail -1)
 *   curl -H "authorization: Bearer $TOKEN" -XPOST localhost:3000/events …
 */
import { LOCAL_DATA_DIR } from '../infra/paths';
import { runningUserPool, signIn } from './local/cognito/sign-in';

const USAGE = `Usage: npm run dev:token -- <email> [--group <name>]… [--access]

  <email>         the user to sign in as (created in the local user pool if needed)
  --group <name>  add the user to a group of the dev config's auth.groups (repeatable)
  --access        print the access token instead of the ID token (it has scopes, no email)

Prints the token as the last line. The running npm run dev must use the same
LOCAL_DATA_DIR (default: .local/ in the repository).
`;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function parseArgs(args: string[]): { email: string; groups: string[]; access: boolean } {
  const groups: string[] = [];
  const rest: string[] = [];
  let access = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--group') {
      const name = args[++i];
      if (!name || name.startsWith('--')) throw new Error(`--group needs a group name\n\n${USAGE}`);
      groups.push(name);
    } else if (arg.startsWith('--group=')) groups.push(arg.slice('--group='.length));
    else if (arg === '--access') access = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    else rest.push(arg);
  }
  if (rest.length !== 1 || !EMAIL.test(rest[0]!)) throw new Error(`give one email address${rest.length ? ` (received ${rest.join(' ')})` : ''}\n\n${USAGE}`);
  return { email: rest[0]!, groups, access };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const { email, groups, access } = parseArgs(args);
  const dataDir = process.env.LOCAL_DATA_DIR || LOCAL_DATA_DIR;
  const pool = await runningUserPool(dataDir);
  const user = await signIn(pool, dataDir, { email, groups });
  const kind = access ? 'access' : 'ID';
  process.stderr.write(`[dev:token] ${email} (sub ${user.sub}) signed in to the local user pool ${pool.userPoolId}${groups.length ? `, in ${groups.join(', ')}` : ''}; ${kind} token valid ${Math.round(user.expiresIn / 60)} min:\n`);
  process.stdout.write(`${access ? user.accessToken : user.idToken}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`npm run dev:token failed: ${err.message}\n`);
  process.exit(1);
});
