/**
 * The architecture diagram is generated from the synthesized stack and
 * rendered by Graphviz (WebAssembly): it renders, and names every function,
 * route, and the data each function reaches.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { routes, tasks } from '../../functions/registry';
import { cidrsubnet, diagramFor, renderSvg } from '../../scripts/diagram';

const root = resolve(import.meta.dirname, '..', '..');
const text = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#123;/g, '{').replace(/&#125;/g, '}').replace(/&amp;/g, '&').replace(/&#45;/g, '-'));

let svg: string;
let dot: string;
beforeAll(async () => {
  ({ svg, dot } = await diagramFor('dev'));
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
  expect(all).toMatch(/VPC 10\.20\.0\.0\/16/);
  expect(all).toContain('private eu-west-1a');
  expect(all).toContain('10.20.0.0/20');
  expect(all).toContain('RDS Proxy');
  expect(all).toMatch(/Aurora aurora-postgresql/);
  expect(all).toMatch(/DynamoDB sps-dev-posts/);
  expect(all).toContain('dynamodb endpoint');
  expect(all).toContain('rds-data endpoint');
  expect(all).toContain('SG sps-dev-functions');
  expect(all).toContain('tcp/5432');
});

test('draws which function reaches which data, from its IAM grants', () => {
  // posts-create writes the table, posts-get reads it, registrations-list uses the proxy, events-get the Data API.
  const edge = (fromLabel: string, label: string) => new RegExp(`"aws_lambda_function\\.[^"]*${fromLabel}_[^"]*" -> "[^"]+" \\[label="${label}"`);
  expect(dot).toMatch(edge('posts-create', 'read-write'));
  expect(dot).toMatch(edge('posts-get', 'read'));
  expect(dot).toMatch(edge('registrations-list', 'SQL \\(IAM token, TLS\\)'));
  expect(dot).toMatch(edge('events-get', 'SQL \\(Data API\\)'));
});

test('the committed docs/architecture.svg names every function of the registry (regenerate with npm run diagram)', () => {
  const committed = text(readFileSync(join(root, 'docs', 'architecture.svg'), 'utf8'));
  const missing = [...routes, ...tasks].filter((fn) => !committed.includes(`λ ${fn.name}`)).map((fn) => fn.name);
  expect(missing).toEqual([]);
});

test('evaluates cidrsubnet like Terraform', () => {
  expect(cidrsubnet('10.20.0.0/16', 4, 0)).toBe('10.20.0.0/20');
  expect(cidrsubnet('10.20.0.0/16', 4, 9)).toBe('10.20.144.0/20');
  expect(cidrsubnet('10.0.0.0/8', 8, 255)).toBe('10.255.0.0/16');
});

test('Graphviz reports invalid DOT instead of rendering garbage', async () => {
  await expect(renderSvg('digraph { a -> }')).rejects.toThrow();
});
