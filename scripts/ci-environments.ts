/**
 * The CI matrix, generated from the environment configs (infra/config), so a
 * new environment is planned and applied by the workflows without editing
 * them. Prints `matrix=<json>` for $GITHUB_OUTPUT:
 *
 *   npx tsx scripts/ci-environments.ts >> "$GITHUB_OUTPUT"
 *
 * Each entry: the environment (stack and GitHub environment), its region, and
 * the names of its CI roles (infra/bootstrap: <project>-ci-<env>-plan|apply).
 * Applies run in the order of infra/config/environments.ts (dev before prod).
 */
import { pathToFileURL } from 'node:url';
import { loadAllConfigs } from '../infra/config';

export interface CiMatrixEntry {
  readonly environment: string;
  readonly region: string;
  readonly plan_role: string;
  readonly apply_role: string;
}

export function ciMatrix(): { include: CiMatrixEntry[] } {
  return {
    include: loadAllConfigs().map((c) => ({
      environment: c.name,
      region: c.region,
      plan_role: `${c.project}-ci-${c.name}-plan`,
      apply_role: `${c.project}-ci-${c.name}-apply`,
    })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`matrix=${JSON.stringify(ciMatrix())}`);
}
