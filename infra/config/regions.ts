/**
 * AWS regions the stacks' provider accepts. hashicorp/aws 5.100.0 refuses any
 * other region before planning ("Error: invalid AWS Region: eu-wset-1"; it
 * checks the region against the partitions built into it unless
 * `skip_region_validation` is set). This list is what it accepted when each
 * region of the AWS SDK's partitions
 * (node_modules/@aws-sdk/core/dist-es/submodules/client/util-endpoints/lib/aws/partitions.js)
 * was planned with it: all of them except ap-southeast-6, me-west-1,
 * sa-west-1 and us-isob-west-1, which are newer than 5.100.0. Update it with
 * the provider pin (infra/provider.ts).
 */
export const AWS_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-isoe-west-1',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eusc-de-east-1',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-iso-east-1',
  'us-iso-west-1',
  'us-isob-east-1',
  'us-isof-east-1',
  'us-isof-south-1',
  'us-west-1',
  'us-west-2',
] as const;

export function isAwsRegion(value: string): boolean {
  return (AWS_REGIONS as readonly string[]).includes(value);
}

/**
 * Why `value` is not a region, with the likely one it was meant to be and the
 * regions of its area (`eu`, `us`, …), or every region when the area is unknown.
 */
export function regionProblem(value: string): string | undefined {
  if (isAwsRegion(value)) return undefined;
  // The number at the end typed as a look-alike letter (eu-west-l, eu-west-I) is read as that number.
  const read = value.replace(/-([^-]*)$/, (_, n: string) => `-${n.replace(/[lI|]/g, '1').replace(/[oO]/g, '0')}`);
  const distances = AWS_REGIONS.map((r) => [r, editDistance(read, r)] as const).sort((a, b) => a[1] - b[1]);
  // A suggestion only when one region is clearly meant (eu-west-4 is as close to eu-west-1 as to -2 and -3).
  const nearest = distances[0]![1] <= 2 && distances[1]![1] > distances[0]![1] ? distances[0] : undefined;
  const area = value.split('-')[0]!;
  const sameArea = AWS_REGIONS.filter((r) => r.startsWith(`${area}-`));
  const hint = nearest ? `; did you mean "${nearest[0]}"?` : '.';
  const list = sameArea.length ? `Regions in "${area}": ${sameArea.join(', ')}` : `Use one of: ${AWS_REGIONS.join(', ')}`;
  return `not an AWS region${hint} ${list}`;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
