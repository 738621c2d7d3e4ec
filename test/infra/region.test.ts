/**
 * The region is checked against the regions the pinned AWS provider accepts
 * (infra/config/regions.ts); a mistyped region is reported as itself, once,
 * and not as zones "outside" it.
 */
import { ConfigError, parseEnvironmentConfig } from '../../infra/config';
import { environments } from '../../infra/config/environments';
import { AWS_REGIONS } from '../../infra/config/regions';

function problemsFor(raw: unknown): readonly string[] {
  try {
    parseEnvironmentConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const EU = 'Regions in "eu": eu-central-1, eu-central-2, eu-isoe-west-1, eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3';

test.each([
  ['eu-west-l', 'a letter for the digit'],
  ['eu-wset-1', 'swapped letters'],
])('fails on the mistyped region %s (%s) with one problem about the region, naming the region meant', (region) => {
  expect(problemsFor({ ...environments.dev, region })).toEqual([
    `region: not an AWS region; did you mean "eu-west-1"? ${EU} (received "${region}")`,
  ]);
});

test('fails on a region of an unknown area with every region listed', () => {
  const [problem] = problemsFor({ ...environments.dev, region: 'xx-west-1', availabilityZones: ['xx-west-1a', 'xx-west-1b'] });
  expect(problem).toBe(`region: not an AWS region. Use one of: ${AWS_REGIONS.join(', ')} (received "xx-west-1")`);
});

test('suggests no region when several are as close (eu-west-4)', () => {
  expect(problemsFor({ ...environments.dev, region: 'eu-west-4' })).toEqual([`region: not an AWS region. ${EU} (received "eu-west-4")`]);
});

test('refuses a region newer than the pinned provider, which would refuse it at plan time', () => {
  expect(problemsFor({ ...environments.dev, region: 'ap-southeast-6', availabilityZones: ['ap-southeast-6a', 'ap-southeast-6b'] })[0]).toMatch(
    /^region: not an AWS region; did you mean "ap-southeast-\d"\?|^region: not an AWS region\. Regions in "ap"/,
  );
});

test.each(AWS_REGIONS)('accepts %s with its zones', (region) => {
  expect(problemsFor({ ...environments.dev, region, availabilityZones: [`${region}a`, `${region}b`] })).toEqual([]);
});

test('zones outside a real region are still reported, with the fix', () => {
  expect(problemsFor({ ...environments.dev, region: 'eu-west-2' })).toEqual([
    'availabilityZones[0]: "eu-west-1a" is not in region "eu-west-2"; use zones such as "eu-west-2a" (received "eu-west-1a")',
    'availabilityZones[1]: "eu-west-1b" is not in region "eu-west-2"; use zones such as "eu-west-2a" (received "eu-west-1b")',
  ]);
});
