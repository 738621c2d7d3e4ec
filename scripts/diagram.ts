/**
 * `npm run diagram [-- --stack dev] [--out docs/architecture.svg] [--dot file]`:
 * draws the architecture from the synthesized stack (never by hand): the VPC
 * and its subnets, the HTTP API, each function with its routes, the RDS Proxy,
 * Aurora, DynamoDB, the VPC endpoints, the security-group chain, and which
 * function reaches which data (read from the functions' IAM grants), with a
 * legend. Functions with the same data access are drawn as one group with one
 * edge per datastore, so the picture stays readable as routes are added.
 * Renders DOT to SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { loadConfig } from '../infra/config';
import { policiesOfRole } from '../infra/policy/iam-documents';
import { blocks, expressionsIn, StackModel, type TfResource } from '../infra/policy/model';
import { whyPublic } from '../infra/policy/rules/util';
import { REPO_ROOT } from '../infra/paths';
import { loadSynthesizedStacks, synthApp } from '../infra/policy/synth';

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const id = (r: TfResource | string) => `"${esc(typeof r === 'string' ? r : r.address)}"`;
const attrs = (a: Record<string, string | number | boolean | undefined>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? `"${esc(v)}"` : String(v)}`)
    .join(', ');

/** How a function reaches a datastore, read from its IAM grants. */
export type Access = 'read' | 'read-write' | 'proxy' | 'data-api' | 'secret';

/**
 * Every kind of edge, its look and what the legend says it means. Data edges
 * carry `label` (short, attached to the edge); the legend explains it in full.
 */
export const EDGE_KINDS = {
  route: { legend: 'API route: the HTTP API invokes the function(s)', look: { color: '#c55a11' } },
  proxy: { label: 'SQL, IAM token + TLS', legend: 'SQL through the RDS Proxy (pg, IAM token, TLS)', look: { color: '#7f6000', penwidth: 1.6 } },
  'data-api': { label: 'SQL, Data API', legend: 'SQL through the Data API (HTTPS, rds-data endpoint)', look: { color: '#7f6000', penwidth: 1.6, style: 'dashed' } },
  read: { label: 'read', legend: 'DynamoDB read (table and its indexes)', look: { color: '#2e75b6' } },
  'read-write': { label: 'read-write', legend: 'DynamoDB read-write', look: { color: '#2e75b6', penwidth: 2.4, dir: 'both' } },
  secret: { label: 'writes secret', legend: 'Secrets Manager: writes a secret (through its endpoint)', look: { color: '#7030a0' } },
  sg: { legend: 'security group allows (protocol/port)', look: { color: '#c00000', fontcolor: '#c00000' } },
  service: { legend: 'managed path (proxy pool, Data API, gateway endpoint)', look: { color: '#7f7f7f', style: 'dotted' } },
} as const satisfies Record<string, { label?: string; legend: string; look: Record<string, string | number> }>;

/** IPv4 `cidrsubnet(prefix, newbits, netnum)`, as Terraform computes it. */
export function cidrsubnet(prefix: string, newbits: number, netnum: number): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(prefix);
  if (!m) return undefined;
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const bits = Number(m[5]) + newbits;
  if (bits > 32) return undefined;
  const addr = base + netnum * 2 ** (32 - bits);
  return `${[24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join('.')}/${bits}`;
}

/** The CIDR of a subnet: literal, or `cidrsubnet(<vpc cidr>, n, i)` evaluated. */
function subnetCidr(model: StackModel, subnet: TfResource): string {
  const raw = subnet.values.cidr_block;
  if (typeof raw === 'string' && !raw.includes('${')) return raw;
  const expr = typeof raw === 'string' ? expressionsIn(raw)[0] ?? '' : '';
  const m = /^cidrsubnet\(([^,]+),\s*(\d+),\s*(\d+)\)$/.exec(expr.trim());
  if (!m) return 'computed';
  const prefix = model.resolveString(`\${${m[1].trim()}}`);
  return (prefix && cidrsubnet(prefix, Number(m[2]), Number(m[3]))) ?? 'computed';
}

/** Sort key of a CIDR: its address as a number (unknown CIDRs last). */
const cidrOrder = (cidr: string) => {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\//.exec(cidr);
  return m ? m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0) : Number.MAX_SAFE_INTEGER;
};

export interface SubnetView {
  readonly zone: string;
  readonly cidr: string;
}

/** Subnets in address order (then zone), as a reader scans a table of them. */
export function subnetsInOrder(model: StackModel, subnets: readonly TfResource[]): SubnetView[] {
  return subnets
    .map((s) => ({ zone: String(s.values.availability_zone ?? '?'), cidr: subnetCidr(model, s) }))
    .sort((a, b) => cidrOrder(a.cidr) - cidrOrder(b.cidr) || a.zone.localeCompare(b.zone));
}

const WRITE = /:(Put|Update|Delete|BatchWrite|TransactWrite)/;

export interface FunctionView {
  readonly resource: TfResource;
  readonly name: string;
  /** Route keys, without the CORS preflight (OPTIONS) routes. */
  readonly routes: string[];
  readonly invokedOnApply: boolean;
  /** Datastore address -> how the function reaches it. */
  readonly reach: Map<string, { target: TfResource; access: Access }>;
}

/** Functions with the same data access (and all routed, or all tasks): drawn as one box, one edge per datastore. */
export interface FunctionGroup {
  readonly key: string;
  readonly members: FunctionView[];
}

/** Where a function's grants let it go: tables (read or read-write), the proxy, the Data API endpoint. */
function reachOf(model: StackModel, fn: TfResource): FunctionView['reach'] {
  const reach: FunctionView['reach'] = new Map();
  const role = model.targets(fn.values.role, 'aws_iam_role')[0];
  if (!role) return reach;
  const endpoint = (service: string) => model.ofType('aws_vpc_endpoint').find((e) => String(e.values.service_name).endsWith(`.${service}`));
  const dataApiEndpoint = endpoint('rds-data');
  const secretsEndpoint = endpoint('secretsmanager');
  for (const policy of policiesOfRole(model, role)) {
    if (!policy.document.ok) continue;
    for (const s of policy.document.statements.filter((x) => x.effect === 'Allow')) {
      for (const target of model.targets(s.resources)) {
        if (target.type === 'aws_dynamodb_table') {
          const write = s.actions.some((a) => WRITE.test(a)) || reach.get(target.address)?.access === 'read-write';
          reach.set(target.address, { target, access: write ? 'read-write' : 'read' });
        } else if (target.type === 'aws_db_proxy' && s.actions.includes('rds-db:connect')) {
          reach.set(target.address, { target, access: 'proxy' });
        } else if (target.type === 'aws_rds_cluster' && s.actions.some((a) => a.startsWith('rds-data:'))) {
          const via = dataApiEndpoint ?? target;
          reach.set(via.address, { target: via, access: 'data-api' });
        } else if (target.type === 'aws_secretsmanager_secret' && s.actions.includes('secretsmanager:PutSecretValue')) {
          const via = secretsEndpoint ?? target;
          reach.set(via.address, { target: via, access: 'secret' });
        }
      }
    }
  }
  return reach;
}

/** Every Lambda function of the stack, with its routes and the data it reaches. */
export function functionViews(model: StackModel, prefix: string): FunctionView[] {
  const routesByFn = new Map<string, string[]>();
  for (const route of model.ofType('aws_apigatewayv2_route')) {
    const integration = model.targets(route.values.target, 'aws_apigatewayv2_integration')[0];
    const fn = integration && model.targets(integration.values.integration_uri, 'aws_lambda_function')[0];
    const key = String(route.values.route_key);
    if (fn && !key.startsWith('OPTIONS ')) routesByFn.set(fn.address, [...(routesByFn.get(fn.address) ?? []), key]);
  }
  return model.ofType('aws_lambda_function').map((fn) => {
    const name = model.resolveString(fn.values.function_name) ?? fn.name;
    return {
      resource: fn,
      name: name.startsWith(prefix) ? name.slice(prefix.length) : name,
      routes: (routesByFn.get(fn.address) ?? []).sort(),
      invokedOnApply: model.referrers(fn, 'aws_lambda_invocation', 'function_name').length > 0,
      reach: reachOf(model, fn),
    };
  });
}

const ACCESS_ORDER: Access[] = ['proxy', 'secret', 'data-api', 'read-write', 'read'];

/**
 * Groups functions by what they reach (and whether the API calls them), in a
 * stable order: SQL first, then DynamoDB; members by name.
 */
export function groupFunctions(functions: readonly FunctionView[]): FunctionGroup[] {
  const keyOf = (f: FunctionView) =>
    [
      f.routes.length ? 'api' : f.invokedOnApply ? 'on-apply' : 'task',
      ...[...f.reach.values()]
        .map((r) => `${ACCESS_ORDER.indexOf(r.access)}:${r.access}:${r.target.address}`)
        .sort(),
    ].join(' ');
  const groups = new Map<string, FunctionView[]>();
  for (const f of [...functions].sort((a, b) => a.name.localeCompare(b.name))) groups.set(keyOf(f), [...(groups.get(keyOf(f)) ?? []), f]);
  return [...groups.entries()].sort(([a], [b]) => a.split(' ').slice(1).join(' ').localeCompare(b.split(' ').slice(1).join(' ')) || a.localeCompare(b)).map(([key, members]) => ({ key, members }));
}

/** DOT lines, indented by nesting. */
class Dot {
  readonly lines: string[] = [];
  private depth = 1;
  line(text: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${text}`);
  }
  /** A subgraph (a cluster when its name starts with `cluster`), its body drawn by `body`. */
  subgraph(name: string, graphAttrs: string, body: () => void): void {
    this.line(`subgraph ${id(name)} {`);
    this.depth++;
    if (graphAttrs) this.line(`graph [${graphAttrs}];`);
    body();
    this.depth--;
    this.line('}');
  }
  node(nodeId: string, a: Record<string, string | number | boolean | undefined>): void {
    this.line(`${nodeId} [${attrs(a)}];`);
  }
  /** A node with an HTML-like label (`<...>`, not escaped). */
  htmlNode(nodeId: string, label: string, a: Record<string, string | number | undefined> = {}): void {
    this.line(`${nodeId} [label=<${label}>${Object.keys(a).length ? `, ${attrs(a)}` : ''}];`);
  }
  edge(from: string, to: string, kind: keyof typeof EDGE_KINDS, a: Record<string, string | number | boolean | undefined> = {}): void {
    this.line(`${from} -> ${to} [${attrs({ ...EDGE_KINDS[kind].look, ...a })}];`);
  }
}

/** An HTML table listing subnets left to right in address order, under a title. */
function subnetTable(title: string, subnets: readonly SubnetView[]): string {
  const cells = subnets.map((s) => `<td>${html(s.zone)}<br/>${html(s.cidr)}</td>`).join('');
  return `<table border="0" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="#deebf7" color="#9dc3e6"><tr><td colspan="${Math.max(subnets.length, 1)}" border="0" bgcolor="white"><font color="#2e75b6">${html(title)}</font></td></tr><tr>${cells || '<td>none</td>'}</tr></table>`;
}

/** Draws the legend: one sample edge per kind, with what it means. */
function drawLegend(dot: Dot): void {
  dot.subgraph('cluster_legend', attrs({ label: 'Legend', style: 'rounded', color: '#999999', fontcolor: '#404040', margin: 8 }), () => {
    for (const [kind, { legend }] of Object.entries(EDGE_KINDS)) {
      dot.node(`"legend_${kind}"`, { label: '', shape: 'point', width: 0.01, style: 'invis' });
      // `\l`: left-justified, so the samples line up.
      dot.line(`"legend_${kind}_text" [label="${esc(legend)}\\l", ${attrs({ shape: 'plaintext', fontsize: 9, style: '', height: 0.2, width: 3.2 })}];`);
      dot.edge(`"legend_${kind}"`, `"legend_${kind}_text"`, kind as keyof typeof EDGE_KINDS, { minlen: 1 });
    }
  });
}

/** Builds the DOT source for one synthesized stack. */
export function stackToDot(model: StackModel, options: { title: string; project: string; env: string }): string {
  const dot = new Dot();
  const prefix = `${options.project}-${options.env}-`;
  const shortName = (name: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);
  const functions = functionViews(model, prefix);
  const groups = groupFunctions(functions);
  const sgName = (sg: TfResource) => model.resolveString(sg.values.name) ?? sg.name;
  const endpoints = model.ofType('aws_vpc_endpoint');
  const serviceOf = (ep: TfResource) => String(ep.values.service_name ?? '').split('.').pop() ?? '';
  /** Egress rules to an endpoint's prefix list, as "SG <name>: tcp/443". */
  const prefixListRules = (ep: TfResource) =>
    model
      .ofType('aws_vpc_security_group_egress_rule')
      .filter((r) => model.targets(r.values.prefix_list_id, 'aws_vpc_endpoint').some((t) => t.address === ep.address))
      .map((r) => `SG ${model.targets(r.values.security_group_id, 'aws_security_group').map(sgName).join(', ')}: ${r.values.ip_protocol}/${r.values.from_port} (prefix list)`);
  const endpointNode = (ep: TfResource) =>
    dot.node(id(ep), { label: [`${serviceOf(ep)} endpoint (${ep.values.vpc_endpoint_type ?? 'Gateway'})`, ...prefixListRules(ep)].join('\n'), shape: 'cds', fillcolor: '#ededed' });
  const groupId = (i: number) => `cluster_group_${i}`;
  /** The member edges of a group leave from and arrive at: its middle one, so they meet the box in its middle. */
  const anchor = (g: FunctionGroup) => id(g.members[Math.floor((g.members.length - 1) / 2)].resource);

  const lines = dot.lines;
  lines.push('digraph architecture {');
  dot.line(`graph [${attrs({ rankdir: 'LR', fontname: 'Helvetica', fontsize: 13, label: options.title, labelloc: 't', newrank: true, nodesep: 0.18, ranksep: 0.9, compound: true, pad: 0.2 })}];`);
  dot.line('node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#ffffff", margin="0.08,0.03"];');
  dot.line('edge [fontname="Helvetica", fontsize=9, color="#555555", arrowsize=0.7];');
  drawLegend(dot);
  dot.node('clients', { label: 'Clients\n(browsers, CORS origins)', shape: 'oval', fillcolor: '#eeeeee' });

  // The HTTP API (its routes are drawn on the functions they invoke).
  const api = model.ofType('aws_apigatewayv2_api')[0];
  if (api) {
    const stage = model.ofType('aws_apigatewayv2_stage')[0];
    const throttle = blocks(stage?.values.default_route_settings)[0];
    const allRoutes = model.ofType('aws_apigatewayv2_route').map((r) => String(r.values.route_key));
    const preflight = allRoutes.filter((k) => k.startsWith('OPTIONS ')).length;
    const label = [`HTTP API ${model.resolveString(api.values.name) ?? ''}`, `${api.values.protocol_type ?? 'HTTP'}, payload 2.0, stage ${stage?.values.name ?? ''}`];
    if (throttle) label.push(`throttling ${throttle.throttling_rate_limit}/s, burst ${throttle.throttling_burst_limit}`);
    label.push(`${allRoutes.length - preflight} routes${preflight ? ` + ${preflight} CORS preflight` : ''}, access logs`);
    dot.node(id(api), { label: label.join('\n'), fillcolor: '#fde9d9' });
    dot.line(`clients -> ${id(api)} [label="HTTPS"];`);
  }

  // The VPC: subnets, the SG chain, the functions and what they reach inside it.
  for (const vpc of model.ofType('aws_vpc')) {
    dot.subgraph(`cluster_${vpc.address}`, attrs({ label: `VPC ${String(vpc.values.cidr_block)} (flow logs, default SG denies all)`, style: 'rounded', color: '#2e75b6', fontcolor: '#2e75b6' }), () => {
      const subnets = model.ofType('aws_subnet').filter((s) => model.refs(s.values.vpc_id).some((r) => r.address === vpc.address));
      const publicSubnets = subnetsInOrder(model, subnets.filter((s) => whyPublic(model, s)));
      const privateSubnets = subnetsInOrder(model, subnets.filter((s) => !whyPublic(model, s)));
      const nats = model.ofType('aws_nat_gateway');
      if (publicSubnets.length) {
        dot.subgraph('cluster_public', `label=<${subnetTable('Public subnets (NAT gateways only)', publicSubnets)}>; style="dashed"; color="#9dc3e6";`, () => {
          dot.node('"nat"', { label: `${nats.length} NAT gateway(s), one per zone\ninternet gateway`, shape: 'box', fillcolor: '#ededed' });
        });
      }
      const privateTitle = nats.length ? 'Private subnets (egress through NAT only)' : 'Private isolated subnets (no route to the internet)';
      dot.subgraph('cluster_private', `label=<${subnetTable(privateTitle, privateSubnets)}>; style="rounded,dashed"; color="#9dc3e6";`, () => {
        dot.subgraph('cluster_functions', attrs({ label: 'Lambda functions (private subnets, functions SG), grouped by data access', style: 'rounded,filled', fillcolor: '#f3f9ec', color: '#70ad47', fontcolor: '#385723' }), () => {
          groups.forEach((g, i) =>
            dot.subgraph(groupId(i), attrs({ label: '', style: 'rounded', color: '#a9d18e', margin: 6 }), () => {
              for (const f of g.members) {
                const lines = [`λ ${f.name}`, ...f.routes, ...(f.invokedOnApply ? ['(invoked on apply)'] : []), `${f.resource.values.memory_size ?? '?'} MB, ${f.resource.values.timeout ?? '?'} s`];
                dot.node(id(f.resource), { label: lines.join('\n'), fillcolor: '#e2f0d9' });
              }
            }),
          );
        });
        for (const proxy of model.ofType('aws_db_proxy')) {
          dot.node(id(proxy), { label: `RDS Proxy ${model.resolveString(proxy.values.name) ?? ''}\nTLS required, IAM auth REQUIRED`, shape: 'box3d', fillcolor: '#fff2cc' });
        }
        for (const cluster of model.ofType('aws_rds_cluster')) {
          const scaling = blocks(cluster.values.serverlessv2_scaling_configuration)[0];
          const label = [
            `Aurora ${cluster.values.engine} ${cluster.values.engine_version ?? ''}`,
            `Serverless v2 ${scaling?.min_capacity ?? '?'}-${scaling?.max_capacity ?? '?'} ACU, ${model.ofType('aws_rds_cluster_instance').length} instance(s)`,
            'KMS-encrypted, IAM auth, rds.force_ssl=1',
            cluster.values.enable_http_endpoint === true ? 'Data API on' : 'Data API off',
          ];
          dot.node(id(cluster), { label: label.join('\n'), shape: 'cylinder', fillcolor: '#fff2cc' });
        }
        for (const ep of endpoints.filter((e) => e.values.vpc_endpoint_type === 'Interface')) endpointNode(ep);
      });

      dot.subgraph('cluster_sgs', attrs({ label: 'Security-group chain', style: 'dotted', color: '#c00000', fontcolor: '#c00000' }), () => {
        for (const sg of model.ofType('aws_security_group')) {
          const members = model.resources.filter(
            (r) =>
              r.type !== 'aws_security_group' &&
              !r.type.startsWith('aws_vpc_security_group') &&
              [r.values.security_group_ids, r.values.vpc_security_group_ids, blocks(r.values.vpc_config)[0]?.security_group_ids].some((v) =>
                model.refs(v).some((ref) => ref.address === sg.address),
              ),
          );
          const kinds = [...new Set(members.map((m) => m.type.replace(/^aws_/, '')))].map((k) => `${members.filter((m) => m.type === `aws_${k}`).length} ${k}`);
          dot.node(id(sg), { label: `SG ${sgName(sg)}\n${kinds.join(', ') || 'no members'}`, shape: 'note', fillcolor: '#fbe5e5' });
        }
      });
    });
  }

  // One column of functions, with their security group above them (its chain then runs above the data path).
  const functionSg = model.ofType('aws_security_group').find((sg) => model.refs(blocks(functions[0]?.resource.values.vpc_config)[0]?.security_group_ids).some((r) => r.address === sg.address));
  dot.line(`{ rank=same; ${[...(functionSg ? [functionSg] : []), ...functions.map((f) => f.resource)].map(id).join('; ')} }`);
  if (functionSg && groups.length) dot.line(`${id(functionSg)} -> ${id(groups[0].members[0].resource)} [style=invis];`);

  // Security-group rules: SG -> SG, SG -> endpoint prefix list, SG -> internet (NAT).
  for (const rule of model.ofType('aws_vpc_security_group_ingress_rule')) {
    const from = model.targets(rule.values.referenced_security_group_id, 'aws_security_group')[0];
    const to = model.targets(rule.values.security_group_id, 'aws_security_group')[0];
    if (from && to) dot.edge(id(from), id(to), 'sg', { label: `${rule.values.ip_protocol}/${rule.values.from_port}` });
  }
  for (const rule of model.ofType('aws_vpc_security_group_egress_rule')) {
    const from = model.targets(rule.values.security_group_id, 'aws_security_group')[0];
    const ep = model.targets(rule.values.prefix_list_id, 'aws_vpc_endpoint')[0];
    const port = `${rule.values.ip_protocol}/${rule.values.from_port}`;
    if (from && ep) continue; // written on the endpoint: an edge there would cross the whole data path
    if (from && rule.values.cidr_ipv4 === '0.0.0.0/0' && model.ofType('aws_nat_gateway').length) dot.edge(id(from), '"nat"', 'sg', { label: `${port} internet` });
  }

  // DynamoDB, regional, below the VPC. Its gateway endpoint is route-table
  // entries in no subnet: written on the tables' box, where the traffic goes.
  const tables = model.ofType('aws_dynamodb_table');
  const gateways = endpoints.filter((e) => e.values.vpc_endpoint_type !== 'Interface');
  const dynamodbGateway = tables.length ? gateways.find((e) => serviceOf(e) === 'dynamodb') : undefined;
  if (tables.length) {
    const via = dynamodbGateway ? [`through the dynamodb gateway endpoint`, ...prefixListRules(dynamodbGateway)] : [];
    dot.subgraph('cluster_dynamodb', attrs({ label: ['DynamoDB (regional, outside the VPC)', ...via].join('\n'), labelloc: 'b', style: 'rounded', color: '#2e75b6', fontcolor: '#2e75b6' }), () => {
      for (const table of tables) dot.node(id(table), { label: `DynamoDB ${model.resolveString(table.values.name) ?? ''}\non demand, PITR, KMS`, shape: 'cylinder', fillcolor: '#dae3f3' });
    });
  }
  for (const ep of gateways.filter((e) => e !== dynamodbGateway)) endpointNode(ep);

  // API -> each group of routed functions; each group -> each datastore it reaches, once, labelled.
  groups.forEach((g, i) => {
    if (api && g.members.some((f) => f.routes.length)) dot.edge(id(api), anchor(g), 'route', { lhead: groupId(i) });
    const reach = g.members[0].reach;
    for (const { target, access } of [...reach.values()].sort((a, b) => ACCESS_ORDER.indexOf(a.access) - ACCESS_ORDER.indexOf(b.access))) {
      const kind = EDGE_KINDS[access];
      // A table edge names its table: edges into neighbouring tables stay told apart where they cross.
      const label = target.type === 'aws_dynamodb_table' ? `${kind.label} ${shortName(model.resolveString(target.values.name) ?? target.name)}` : kind.label;
      dot.edge(anchor(g), id(target), access, { ltail: groupId(i), label, fontcolor: kind.look.color, decorate: true });
    }
  });
  for (const proxy of model.ofType('aws_db_proxy')) {
    for (const cluster of model.ofType('aws_rds_cluster')) dot.edge(id(proxy), id(cluster), 'service', { label: 'pooled, TLS' });
  }
  const dataApi = endpoints.find((e) => String(e.values.service_name).endsWith('.rds-data'));
  if (dataApi) for (const cluster of model.ofType('aws_rds_cluster')) dot.edge(id(dataApi), id(cluster), 'service', { label: 'Data API' });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Renders DOT to SVG with Graphviz (WebAssembly, no system packages). */
export async function renderSvg(dot: string): Promise<string> {
  const graphviz = await Graphviz.load();
  return graphviz.dot(dot, 'svg');
}

/** The DOT and SVG of one synthesized stack (`cdk.tf.json` parsed). */
export async function diagramOfStack(json: Record<string, unknown>, options: { project: string; env: string; region: string }): Promise<{ dot: string; svg: string }> {
  const model = new StackModel(options.env, json);
  const fnCount = model.ofType('aws_lambda_function').length;
  const dot = stackToDot(model, {
    title: `${options.project} ${options.env}: ${options.region}, ${fnCount} functions (generated by npm run diagram from the synthesized stack)`,
    project: options.project,
    env: options.env,
  });
  return { dot, svg: await renderSvg(dot) };
}

/** Synthesizes the app (into `outdir`, else a temporary folder removed afterwards) and returns the DOT and SVG of one environment. */
export async function diagramFor(env = 'dev', outdir?: string): Promise<{ dot: string; svg: string }> {
  const dir = outdir ?? synthApp();
  try {
    const stacks = loadSynthesizedStacks(dir);
    const stack = stacks.find((s) => s.name === env);
    if (!stack) throw new Error(`no stack named "${env}"; choose from ${stacks.map((s) => s.name).join(', ')}`);
    const config = loadConfig(env);
    return await diagramOfStack(stack.json, { project: config.project, env, region: config.region });
  } finally {
    if (!outdir) rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const env = value('--stack') ?? 'dev';
  const out = resolve(REPO_ROOT, value('--out') ?? 'docs/architecture.svg');
  const { dot, svg } = await diagramFor(env, value('--outdir'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, svg);
  const dotOut = value('--dot');
  if (dotOut) writeFileSync(resolve(REPO_ROOT, dotOut), dot);
  console.log(`diagram: ${env} -> ${out} (${(svg.length / 1024).toFixed(1)} KiB)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`diagram: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
