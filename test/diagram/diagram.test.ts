/**
 * The architecture diagram is generated from the synthesized stack and
 * rendered by Graphviz (WebAssembly): it renders, and names every function,
 * route, and the data each function reaches, whatever the app declares.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { routes, tasks, type FunctionDefinition } from '../../functions/registry';
import { physicalTableName, tables } from '../../functions/tables';
import { loadConfig } from '../../infra/config';
import { synthApp } from '../../infra/policy/synth';
import { cidrsubnet, diagramFor, renderSvg } from '../../scripts/diagram';
import { tempDir } from '../support/temp';

const dev = loadConfig('dev');
const functions: readonly FunctionDefinition[] = [...routes, ...tasks];

const root = resolve(import.meta.dirname, '..', '..');
const text = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#123;/g, '{').replace(/&#125;/g, '}').replace(/&amp;/g, '&').replace(/&#45;/g, '-'));

let svg: string;
let dot: string;
beforeAll(async () => {
  ({ svg, dot } = await diagramFor('dev', synthApp({ outdir: tempDir('diagram') })));
}, 120_000);

test('renders an SVG from the dev stack', () => {
  expect(svg.startsWith('<?xml')).toBe(true);
  expect(svg).toContain('<svg');
  expect(svg).toContain('</svg>');
});

test('names every function of the registry, with its routes', () => {
  const labels = text(svg);
  for (const fn of [...routes, ...tasks]) expect(labels).toContain(`λ ${fn.name}`);
  for (const r of routes) expect(labels).toContain(`${r.method} ${r.path}`);
});

test('shows the VPC, subnets, proxy, Aurora, DynamoDB, endpoints and the security-group chain', () => {
  const all = text(svg).join('\n');
  expect(all).toContain(`VPC ${dev.vpcCidr}`);
  expect(all).toContain(`private ${dev.availabilityZones[0]}`);
  expect(all).toContain(cidrsubnet(dev.vpcCidr, 4, 0));
  if (dev.proxy.enabled) expect(all).toContain('RDS Proxy');
  expect(all).toMatch(/Aurora aurora-postgresql/);
  for (const table of Object.keys(tables)) expect(all).toContain(`DynamoDB ${physicalTableName(dev.project, dev.name, table)}`);
  expect(all).toContain('dynamodb endpoint');
  if (dev.dataApi.enabled && functions.some((f) => f.data?.sql === 'data-api')) expect(all).toContain('rds-data endpoint');
  expect(all).toContain(`SG ${dev.project}-${dev.name}-functions`);
  expect(all).toContain('tcp/5432');
});

test('draws which function reaches which data, from its IAM grants', () => {
  // One function of the registry for each kind of reach it has: table writes, table reads, SQL through the proxy, the Data API.
  const edge = (fromLabel: string, label: string) => new RegExp(`"aws_lambda_function\\.[^"]*${fromLabel}_[^"]*" -> "[^"]+" \\[label="${label}"`);
  const reaches: [(f: FunctionDefinition) => boolean, string][] = [
    [(f) => Object.values(f.data?.tables ?? {}).includes('read-write'), 'read-write'],
    [(f) => Object.values(f.data?.tables ?? {}).includes('read'), 'read'],
    [(f) => f.data?.sql === 'proxy', 'SQL \\(IAM token, TLS\\)'],
    [(f) => f.data?.sql === 'data-api', 'SQL \\(Data API\\)'],
  ];
  for (const [reachesIt, label] of reaches) {
    const fn = functions.find(reachesIt);
    if (fn) expect(dot).toMatch(edge(fn.name, label));
  }
});

test('the committed docs/architecture.svg is a rendered diagram (regenerate with npm run diagram)', () => {
  const committed = readFileSync(join(root, 'docs', 'architecture.svg'), 'utf8');
  expect(committed).toContain('<svg');
  expect(text(committed).some((label) => label.startsWith('λ '))).toBe(true);
});

test('evaluates cidrsubnet like Terraform', () => {
  expect(cidrsubnet('10.20.0.0/16', 4, 0)).toBe('10.20.0.0/20');
  expect(cidrsubnet('10.20.0.0/16', 4, 9)).toBe('10.20.144.0/20');
  expect(cidrsubnet('10.0.0.0/8', 8, 255)).toBe('10.255.0.0/16');
});

test('Graphviz reports invalid DOT instead of rendering garbage', async () => {
  await expect(renderSvg('digraph { a -> }')).rejects.toThrow();
});
