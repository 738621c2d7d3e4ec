/**
 * The architecture diagram is generated from the synthesized stack and
 * rendered by Graphviz (WebAssembly). These tests render it from the stack as
 * it is now, so a new route never makes them fail: the dev stack (whatever the
 * registry, tables and dev config hold) and a 17-function fixture stack, where
 * a careless layout stops being readable. docs/architecture.svg is regenerated
 * by `npm run diagram`, not compared with a fresh rendering here.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { routes, tasks, type FunctionDefinition } from '../../functions/registry';
import { physicalTableName, tables } from '../../functions/tables';
import { loadConfig } from '../../infra/config';
import { cidrsubnet, diagramFor, diagramOfStack, EDGE_KINDS, renderSvg } from '../../scripts/diagram';
import { manyConfig, manyRoutes, manyTasks, synthManyFunctions } from './fixture';
import { estimatedLabels, haveChromium, overlappingLabels, renderedLabels, textsOf } from './labels';

const root = resolve(import.meta.dirname, '..', '..');
const dev = loadConfig('dev');
const functions: readonly FunctionDefinition[] = [...routes, ...tasks];
const inCi = process.env.CI === 'true';
const withChromium = haveChromium || inCi ? test : test.skip;
if (!haveChromium && !inCi) console.warn("diagram: label overlap measured by font metrics only (no chromium; install Debian's chromium or set CHROMIUM_PATH)");

/** Function groups of a DOT source: cluster id -> the function names in it. */
function groupsOf(dot: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [, cluster, body] of dot.matchAll(/subgraph "(cluster_group_\d+)" \{\n([\s\S]*?)\n\s*\}$/gm)) {
    groups.set(cluster, [...body.matchAll(/label="λ ([\w-]+)/g)].map((m) => m[1]));
  }
  return groups;
}

/** Edges of a DOT source that leave a group's box: group cluster -> the labels of its edges. */
function groupEdgesOf(dot: string): Map<string, { label: string; attrs: string }[]> {
  const edges = new Map<string, { label: string; attrs: string }[]>();
  for (const [, attrs] of dot.matchAll(/^\s*"[^"]+" -> "[^"]+" \[(.*)\];$/gm)) {
    const group = /ltail="([^"]+)"/.exec(attrs)?.[1];
    if (group) edges.set(group, [...(edges.get(group) ?? []), { label: /label="([^"]*)"/.exec(attrs)?.[1] ?? '', attrs }]);
  }
  return edges;
}

/** The labels on the edges leaving the group that holds function `name`. */
function edgeLabelsOfGroupWith(dot: string, name: string): string[] {
  const group = [...groupsOf(dot)].find(([, members]) => members.includes(name))?.[0];
  if (!group) throw new Error(`no group holds ${name}`);
  return (groupEdgesOf(dot).get(group) ?? []).map((e) => e.label).sort();
}

/** The labels of the edges a function's group draws, from its registry entry's data needs. */
function reachLabels(fn: FunctionDefinition): string[] {
  const labels = Object.entries(fn.data?.tables ?? {}).map(([table, access]) => `${access} ${table}`);
  if (fn.data?.sql === 'proxy') labels.push('SQL, IAM token + TLS');
  if (fn.data?.sql === 'data-api') labels.push('SQL, Data API');
  if (fn.data?.sqlUser === 'master') labels.push('writes secret');
  return labels.sort();
}

/** Left edge of the first label with exactly this text. */
const xOf = (svg: string, text: string) => {
  const label = estimatedLabels(svg).find((l) => l.text === text);
  if (!label) throw new Error(`no label "${text}"`);
  return label.x;
};

describe('the dev stack', () => {
  let svg: string;
  let dot: string;
  beforeAll(async () => {
    ({ svg, dot } = await diagramFor('dev'));
  }, 120_000);

  test('renders an SVG', () => {
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg');
    expect(svg).toContain('</svg>');
  });

  test('names every function of the registry, with its routes', () => {
    const labels = textsOf(svg);
    for (const fn of functions) expect(labels).toContain(`λ ${fn.name}`);
    for (const r of routes) expect(labels).toContain(`${r.method} ${r.path}`);
  });

  test('shows the VPC, its subnets, proxy, Aurora, DynamoDB, endpoints and the security-group chain', () => {
    const all = textsOf(svg).join('\n');
    expect(all).toContain(`VPC ${dev.vpcCidr}`);
    expect(all).toContain('Private isolated subnets (no route to the internet)');
    expect(all).toContain(cidrsubnet(dev.vpcCidr, 4, 0));
    if (dev.proxy.enabled) expect(all).toContain('RDS Proxy');
    expect(all).toMatch(/Aurora aurora-postgresql/);
    for (const table of Object.keys(tables)) expect(all).toContain(`DynamoDB ${physicalTableName(dev.project, dev.name, table)}`);
    expect(all).toContain('through the dynamodb gateway endpoint');
    if (dev.dataApi.enabled && functions.some((f) => f.data?.sql === 'data-api')) expect(all).toContain('rds-data endpoint');
    expect(all).toContain(`SG ${dev.project}-${dev.name}-functions`);
    expect(all).toContain('tcp/5432');
  });

  test('draws which functions reach which data, from their IAM grants, once per group', () => {
    for (const fn of functions) expect([fn.name, edgeLabelsOfGroupWith(dot, fn.name)]).toEqual([fn.name, reachLabels(fn)]);
  });

  test('no two labels overlap', () => {
    expect(overlappingLabels(estimatedLabels(svg))).toEqual([]);
  });
});

describe('a stack of 17 functions (fixture: two tables, proxy SQL, Data API SQL, three zones, NAT)', () => {
  let svg: string;
  let dot: string;
  beforeAll(async () => {
    ({ svg, dot } = await diagramOfStack(synthManyFunctions(), { project: manyConfig.project, env: manyConfig.name, region: manyConfig.region }));
  }, 120_000);

  test('has a legend that says what every kind of edge means', () => {
    const labels = textsOf(svg);
    expect(labels).toContain('Legend');
    for (const { legend } of Object.values(EDGE_KINDS)) expect(labels).toContain(legend);
  });

  test('names every function, with its routes', () => {
    const labels = textsOf(svg);
    expect(labels).toContain('sps dev: eu-west-1, 17 functions (generated by npm run diagram from the synthesized stack)');
    for (const fn of [...manyRoutes, ...manyTasks]) expect(labels).toContain(`λ ${fn.name}`);
    for (const r of manyRoutes) expect(labels).toContain(`${r.method} ${r.path}`);
  });

  test('groups functions by data access: one box per group', () => {
    expect([...groupsOf(dot).values()].map((m) => m.join(' ')).sort()).toEqual([
      'comments-create comments-delete',
      'comments-list',
      'events-create events-get events-list events-update',
      'health',
      'migrate',
      'posts-create posts-delete posts-update',
      'posts-get posts-list',
      'registrations-create registrations-delete registrations-list',
    ]);
  });

  test('draws one edge per group and datastore, its label attached to it', () => {
    expect(edgeLabelsOfGroupWith(dot, 'comments-create')).toEqual(['read posts', 'read-write comments']);
    expect(edgeLabelsOfGroupWith(dot, 'posts-update')).toEqual(['read-write posts']);
    expect(edgeLabelsOfGroupWith(dot, 'events-list')).toEqual(['SQL, Data API']);
    expect(edgeLabelsOfGroupWith(dot, 'registrations-delete')).toEqual(['SQL, IAM token + TLS']);
    // 22 function-datastore pairs, drawn as 12 edges from 8 groups.
    const dataEdges = [...groupEdgesOf(dot).values()].flat();
    expect(dataEdges).toHaveLength(12);
    for (const edge of dataEdges) expect(edge.attrs).toContain('decorate=true');
    // The API reaches each routed group once: 7 groups, not 16 functions.
    expect(dot.match(/"aws_apigatewayv2_api\.[^"]+" -> "aws_lambda_function\.[^"]+"/g)).toHaveLength(7);
  });

  test('lists the subnets of each tier left to right in address order', () => {
    const inOrder = (cidrs: string[]) => cidrs.map((c) => xOf(svg, c)).every((x, i, xs) => i === 0 || x > xs[i - 1]);
    expect(inOrder(['10.20.0.0/20', '10.20.16.0/20', '10.20.32.0/20'])).toBe(true);
    expect(inOrder(['10.20.128.0/20', '10.20.144.0/20', '10.20.160.0/20'])).toBe(true);
    expect(textsOf(svg)).toContain('Public subnets (NAT gateways only)');
  });

  test("no two labels overlap (Graphviz's font metrics)", () => {
    expect(overlappingLabels(estimatedLabels(svg))).toEqual([]);
  });

  withChromium(
    'no two labels overlap as chromium draws them',
    async () => {
      const labels = await renderedLabels(svg);
      expect(labels.length).toBe(textsOf(svg).length);
      expect(overlappingLabels(labels)).toEqual([]);
    },
    60_000,
  );
});

test('docs/architecture.svg is a rendering of the dev stack by this generator (npm run diagram regenerates it)', () => {
  const committed = readFileSync(join(root, 'docs', 'architecture.svg'), 'utf8');
  const labels = textsOf(committed);
  expect(committed.startsWith('<?xml')).toBe(true);
  expect(labels.some((l) => l.startsWith(`${dev.project} ${dev.name}: `) && l.includes(' functions (generated by npm run diagram'))).toBe(true);
  expect(labels).toContain('Legend');
  // A route added since the last `npm run diagram` is a note, not a failure.
  const missing = functions.filter((fn) => !labels.includes(`λ ${fn.name}`)).map((fn) => fn.name);
  if (missing.length) console.warn(`docs/architecture.svg does not show ${missing.join(', ')} yet: run npm run diagram`);
});

test('evaluates cidrsubnet like Terraform', () => {
  expect(cidrsubnet('10.20.0.0/16', 4, 0)).toBe('10.20.0.0/20');
  expect(cidrsubnet('10.20.0.0/16', 4, 9)).toBe('10.20.144.0/20');
  expect(cidrsubnet('10.0.0.0/8', 8, 255)).toBe('10.255.0.0/16');
});

test('Graphviz reports invalid DOT instead of rendering garbage', async () => {
  await expect(renderSvg('digraph { a -> }')).rejects.toThrow();
});
