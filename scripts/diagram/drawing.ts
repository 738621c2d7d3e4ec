/**
 * The DOT source of the architecture: a small DOT writer and the drawing of
 * one stack, step by step (VPC, subnets, security-group chain, functions in
 * groups, datastores, edges, legend).
 */
import { blocks, type StackModel, type TfResource } from '../../infra/policy/model';
import { whyPublic } from '../../infra/policy/rules/util';
import { functionViews, groupFunctions, subnetsInOrder, type FunctionGroup, type FunctionView, type SubnetView } from './views';

type Attrs = Record<string, string | number | boolean | undefined>;

/**
 * Every kind of edge: its look, the short label it carries (attached to the
 * edge), and what the legend says it means.
 */
export const EDGE_KINDS = {
  route: { legend: 'API route: the HTTP API invokes the function(s)', look: { color: '#c55a11' } },
  proxy: { label: 'SQL, IAM token + TLS', legend: 'SQL through the RDS Proxy (pg, IAM token, TLS)', look: { color: '#7f6000', penwidth: 1.6 } },
  'data-api': { label: 'SQL, Data API', legend: 'SQL through the Data API (HTTPS, rds-data endpoint)', look: { color: '#7f6000', penwidth: 1.6, style: 'dashed' } },
  'read-write': { label: 'read-write', legend: 'DynamoDB read-write (table and its indexes)', look: { color: '#2e75b6', penwidth: 2.4, dir: 'both' } },
  read: { label: 'read', legend: 'DynamoDB read (table and its indexes)', look: { color: '#2e75b6' } },
  secret: { label: 'writes secret', legend: 'Secrets Manager: writes a secret (through its endpoint)', look: { color: '#7030a0' } },
  sg: { legend: 'security group allows (protocol/port)', look: { color: '#c00000', fontcolor: '#c00000' } },
  service: { legend: 'managed path (proxy connection pool, Data API)', look: { color: '#7f7f7f', style: 'dotted' } },
} as const satisfies Record<string, { label?: string; legend: string; look: Attrs }>;

export type EdgeKind = keyof typeof EDGE_KINDS;

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const id = (r: TfResource | string) => `"${esc(typeof r === 'string' ? r : r.address)}"`;
const attrs = (a: Attrs) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? `"${esc(v)}"` : String(v)}`)
    .join(', ');

/** DOT source, indented by nesting. */
class Dot {
  private readonly lines: string[] = [];
  private depth = 0;
  line(text: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${text}`);
  }
  /** A subgraph (a cluster when its name starts with `cluster`) with its graph attributes (`label` may be HTML: `<...>`). */
  subgraph(name: string, a: Attrs, body: () => void): void {
    this.line(`subgraph ${id(name)} {`);
    this.depth++;
    const { label, ...rest } = a;
    const htmlLabel = typeof label === 'string' && label.startsWith('<');
    this.line(`graph [${attrs({ ...rest, label: htmlLabel ? undefined : label })}${htmlLabel ? `, label=<${label.slice(1, -1)}>` : ''}];`);
    body();
    this.depth--;
    this.line('}');
  }
  node(nodeId: string, a: Attrs): void {
    this.line(`${nodeId} [${attrs(a)}];`);
  }
  edge(from: string, to: string, kind: EdgeKind | undefined, a: Attrs = {}): void {
    this.line(`${from} -> ${to} [${attrs({ ...(kind ? EDGE_KINDS[kind].look : {}), ...a })}];`);
  }
  /** Nodes in one rank (one column, left to right). */
  sameRank(nodes: readonly (TfResource | string)[]): void {
    if (nodes.length) this.line(`{ rank=same; ${nodes.map((n) => (typeof n === 'string' ? n : id(n))).join('; ')} }`);
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** An HTML label: a title over the subnets, left to right in address order. */
function subnetTable(title: string, subnets: readonly SubnetView[]): string {
  const cells = subnets.map((s) => `<td>${html(s.zone)}<br/>${html(s.cidr)}</td>`).join('') || '<td>none</td>';
  return (
    `<<table border="0" cellborder="1" cellspacing="0" cellpadding="3" bgcolor="#deebf7" color="#9dc3e6">` +
    `<tr><td colspan="${Math.max(subnets.length, 1)}" border="0" bgcolor="white"><font color="#2e75b6">${html(title)}</font></td></tr>` +
    `<tr>${cells.replace(/<td>/g, '<td><font point-size="10">').replace(/<\/td>/g, '</font></td>')}</tr></table>>`
  );
}

/**
 * Draws one stack. The constructor reads the views once; `toDot` lists the
 * steps, each drawing one part of the picture.
 */
class ArchitectureDrawing {
  private readonly dot = new Dot();
  private readonly prefix: string;
  private readonly functions: FunctionView[];
  private readonly groups: FunctionGroup[];
  private readonly api?: TfResource;
  private readonly endpoints: TfResource[];

  constructor(
    private readonly model: StackModel,
    private readonly options: { title: string; project: string; env: string },
  ) {
    this.prefix = `${options.project}-${options.env}-`;
    this.functions = functionViews(model, this.prefix);
    this.groups = groupFunctions(this.functions);
    this.api = model.ofType('aws_apigatewayv2_api')[0];
    this.endpoints = model.ofType('aws_vpc_endpoint');
  }

  toDot(): string {
    this.dot.line('digraph architecture {');
    this.defaults();
    this.legend();
    this.clientsAndApi();
    for (const vpc of this.model.ofType('aws_vpc')) this.vpc(vpc);
    this.functionColumn();
    this.securityGroupRules();
    this.dynamoDb();
    this.dataAccess();
    this.dot.line('}');
    return this.dot.toString();
  }

  private defaults(): void {
    const graph = { rankdir: 'LR', fontname: 'Helvetica', fontsize: 13, label: this.options.title, labelloc: 't', newrank: true, compound: true, nodesep: 0.18, ranksep: 0.9, pad: 0.2 };
    this.dot.line(`graph [${attrs(graph)}];`);
    this.dot.line(`node [${attrs({ fontname: 'Helvetica', fontsize: 10, shape: 'box', style: 'rounded,filled', fillcolor: '#ffffff', margin: '0.08,0.03' })}];`);
    this.dot.line(`edge [${attrs({ fontname: 'Helvetica', fontsize: 9, color: '#555555', arrowsize: 0.7 })}];`);
  }

  /** One sample edge per kind, with what it means (listed bottom up: dot stacks a rank's nodes that way). */
  private legend(): void {
    this.dot.subgraph('cluster_legend', { label: 'Legend', style: 'rounded', color: '#999999', fontcolor: '#404040', margin: 8 }, () => {
      for (const [kind, { legend }] of Object.entries(EDGE_KINDS).reverse()) {
        this.dot.node(`"legend_${kind}"`, { label: '', shape: 'point', width: 0.01, style: 'invis' });
        // `\l` left-justifies the text, so the samples line up.
        this.dot.line(`"legend_${kind}_text" [label="${esc(legend)}\\l", ${attrs({ shape: 'plaintext', fontsize: 9, style: '', height: 0.2, width: 3.2 })}];`);
        this.dot.edge(`"legend_${kind}"`, `"legend_${kind}_text"`, kind as EdgeKind);
      }
    });
  }

  /** Clients and the HTTP API; its routes are written on the functions they invoke. */
  private clientsAndApi(): void {
    this.dot.node('clients', { label: 'Clients\n(browsers, CORS origins)', shape: 'oval', fillcolor: '#eeeeee' });
    const api = this.api;
    if (!api) return;
    const stage = this.model.ofType('aws_apigatewayv2_stage')[0];
    const throttle = blocks(stage?.values.default_route_settings)[0];
    const routeKeys = this.model.ofType('aws_apigatewayv2_route').map((r) => String(r.values.route_key));
    const preflight = routeKeys.filter((k) => k.startsWith('OPTIONS ')).length;
    const label = [`HTTP API ${this.model.resolveString(api.values.name) ?? ''}`, `${api.values.protocol_type ?? 'HTTP'}, payload 2.0, stage ${stage?.values.name ?? ''}`];
    if (throttle) label.push(`throttling ${throttle.throttling_rate_limit}/s, burst ${throttle.throttling_burst_limit}`);
    label.push(`${routeKeys.length - preflight} routes${preflight ? ` + ${preflight} CORS preflight` : ''}, access logs`);
    this.dot.node(id(api), { label: label.join('\n'), fillcolor: '#fde9d9' });
    this.dot.edge('clients', id(api), undefined, { label: 'HTTPS' });
  }

  /** The VPC: public subnets with NAT, the security-group chain, the private subnets and what runs in them. */
  private vpc(vpc: TfResource): void {
    const subnets = this.model.ofType('aws_subnet').filter((s) => this.model.refs(s.values.vpc_id).some((r) => r.address === vpc.address));
    const isPublic = (s: TfResource) => whyPublic(this.model, s) !== undefined;
    const nats = this.model.ofType('aws_nat_gateway');
    this.dot.subgraph(`cluster_${vpc.address}`, { label: `VPC ${String(vpc.values.cidr_block)} (flow logs, default SG denies all)`, style: 'rounded', color: '#2e75b6', fontcolor: '#2e75b6' }, () => {
      const publicSubnets = subnetsInOrder(this.model, subnets.filter(isPublic));
      if (publicSubnets.length) {
        this.dot.subgraph('cluster_public', { label: subnetTable('Public subnets (NAT gateways only)', publicSubnets), style: 'dashed', color: '#9dc3e6' }, () => {
          this.dot.node('"nat"', { label: `${nats.length} NAT gateway(s), one per zone\ninternet gateway`, fillcolor: '#ededed' });
        });
      }
      const privateTitle = nats.length ? 'Private subnets (egress through NAT only)' : 'Private isolated subnets (no route to the internet)';
      const privateSubnets = subnetsInOrder(this.model, subnets.filter((s) => !isPublic(s)));
      this.dot.subgraph('cluster_private', { label: subnetTable(privateTitle, privateSubnets), style: 'rounded,dashed', color: '#9dc3e6' }, () => {
        this.functionGroups();
        this.database();
        for (const ep of this.endpoints.filter((e) => e.values.vpc_endpoint_type === 'Interface')) this.endpoint(ep);
      });
      this.securityGroups();
      // Gateway endpoints are route-table entries in no subnet; DynamoDB's is written on the tables' box.
      for (const ep of this.endpoints.filter((e) => e.values.vpc_endpoint_type !== 'Interface' && e !== this.dynamoDbGateway())) this.endpoint(ep);
    });
  }

  /** Each group of functions in its own box, inside the functions' box. */
  private functionGroups(): void {
    const box = { label: 'Lambda functions (private subnets, functions SG), grouped by data access', style: 'rounded,filled', fillcolor: '#f3f9ec', color: '#70ad47', fontcolor: '#385723' };
    this.dot.subgraph('cluster_functions', box, () => {
      this.groups.forEach((g, i) =>
        this.dot.subgraph(groupId(i), { label: '', style: 'rounded', color: '#a9d18e', margin: 6 }, () => {
          for (const f of g.members) {
            const lines = [`λ ${f.name}`, ...f.routes, ...(f.invokedOnApply ? ['(invoked on apply)'] : []), `${f.resource.values.memory_size ?? '?'} MB, ${f.resource.values.timeout ?? '?'} s`];
            this.dot.node(id(f.resource), { label: lines.join('\n'), fillcolor: '#e2f0d9' });
          }
        }),
      );
    });
  }

  /** The RDS Proxy and Aurora. */
  private database(): void {
    for (const proxy of this.model.ofType('aws_db_proxy')) {
      this.dot.node(id(proxy), { label: `RDS Proxy ${this.model.resolveString(proxy.values.name) ?? ''}\nTLS required, IAM auth REQUIRED`, shape: 'box3d', fillcolor: '#fff2cc' });
    }
    for (const cluster of this.model.ofType('aws_rds_cluster')) {
      const scaling = blocks(cluster.values.serverlessv2_scaling_configuration)[0];
      const label = [
        `Aurora ${cluster.values.engine} ${cluster.values.engine_version ?? ''}`,
        `Serverless v2 ${scaling?.min_capacity ?? '?'}-${scaling?.max_capacity ?? '?'} ACU, ${this.model.ofType('aws_rds_cluster_instance').length} instance(s)`,
        'KMS-encrypted, IAM auth, rds.force_ssl=1',
        cluster.values.enable_http_endpoint === true ? 'Data API on' : 'Data API off',
      ];
      this.dot.node(id(cluster), { label: label.join('\n'), shape: 'cylinder', fillcolor: '#fff2cc' });
    }
  }

  private endpoint(ep: TfResource): void {
    const label = [`${serviceOf(ep)} endpoint (${ep.values.vpc_endpoint_type ?? 'Gateway'})`, ...this.prefixListRules(ep)];
    this.dot.node(id(ep), { label: label.join('\n'), shape: 'cds', fillcolor: '#ededed' });
  }

  /** Egress rules to an endpoint's prefix list, as "SG <name>: tcp/443 (prefix list)". */
  private prefixListRules(ep: TfResource): string[] {
    return this.model
      .ofType('aws_vpc_security_group_egress_rule')
      .filter((r) => this.model.targets(r.values.prefix_list_id, 'aws_vpc_endpoint').some((t) => t.address === ep.address))
      .map((r) => `SG ${this.model.targets(r.values.security_group_id, 'aws_security_group').map(this.sgName).join(', ')}: ${r.values.ip_protocol}/${r.values.from_port} (prefix list)`);
  }

  private readonly sgName = (sg: TfResource) => this.model.resolveString(sg.values.name) ?? sg.name;

  /** Each security group, with how many resources of each type it holds. */
  private securityGroups(): void {
    this.dot.subgraph('cluster_sgs', { label: 'Security-group chain', style: 'dotted', color: '#c00000', fontcolor: '#c00000' }, () => {
      for (const sg of this.model.ofType('aws_security_group')) {
        const members = this.model.resources.filter(
          (r) =>
            r.type !== 'aws_security_group' &&
            !r.type.startsWith('aws_vpc_security_group') &&
            [r.values.security_group_ids, r.values.vpc_security_group_ids, blocks(r.values.vpc_config)[0]?.security_group_ids].some((v) =>
              this.model.refs(v).some((ref) => ref.address === sg.address),
            ),
        );
        const kinds = [...new Set(members.map((m) => m.type.replace(/^aws_/, '')))].map((k) => `${members.filter((m) => m.type === `aws_${k}`).length} ${k}`);
        this.dot.node(id(sg), { label: `SG ${this.sgName(sg)}\n${kinds.join(', ') || 'no members'}`, shape: 'note', fillcolor: '#fbe5e5' });
      }
    });
  }

  /**
   * All functions in one column, with their security group: its chain then
   * runs parallel to the data path (above it: the VPC draws it after the
   * private subnets) instead of across it.
   */
  private functionColumn(): void {
    const fnSgIds = blocks(this.functions[0]?.resource.values.vpc_config)[0]?.security_group_ids;
    const functionSg = this.model.targets(fnSgIds, 'aws_security_group')[0];
    this.dot.sameRank([...(functionSg ? [functionSg] : []), ...this.functions.map((f) => f.resource)]);
  }

  /** SG -> SG (ingress rules referencing a group), SG -> NAT (egress to the internet). Prefix-list rules are written on their endpoint. */
  private securityGroupRules(): void {
    for (const rule of this.model.ofType('aws_vpc_security_group_ingress_rule')) {
      const from = this.model.targets(rule.values.referenced_security_group_id, 'aws_security_group')[0];
      const to = this.model.targets(rule.values.security_group_id, 'aws_security_group')[0];
      if (from && to) this.dot.edge(id(from), id(to), 'sg', { label: `${rule.values.ip_protocol}/${rule.values.from_port}` });
    }
    if (!this.model.ofType('aws_nat_gateway').length) return;
    for (const rule of this.model.ofType('aws_vpc_security_group_egress_rule').filter((r) => r.values.cidr_ipv4 === '0.0.0.0/0')) {
      const from = this.model.targets(rule.values.security_group_id, 'aws_security_group')[0];
      if (from) this.dot.edge(id(from), '"nat"', 'sg', { label: `${rule.values.ip_protocol}/${rule.values.from_port} internet` });
    }
  }

  private dynamoDbGateway(): TfResource | undefined {
    return this.model.ofType('aws_dynamodb_table').length ? this.endpoints.find((e) => e.values.vpc_endpoint_type !== 'Interface' && serviceOf(e) === 'dynamodb') : undefined;
  }

  /** DynamoDB, regional, below the VPC, with the gateway endpoint its traffic takes written on its box. */
  private dynamoDb(): void {
    const tables = this.model.ofType('aws_dynamodb_table');
    if (!tables.length) return;
    const gateway = this.dynamoDbGateway();
    const label = ['DynamoDB (regional, outside the VPC)', ...(gateway ? ['through the dynamodb gateway endpoint', ...this.prefixListRules(gateway)] : [])];
    // The label goes at the bottom: edges arrive from above and would cross it.
    this.dot.subgraph('cluster_dynamodb', { label: label.join('\n'), labelloc: 'b', style: 'rounded', color: '#2e75b6', fontcolor: '#2e75b6' }, () => {
      for (const table of tables) {
        this.dot.node(id(table), { label: `DynamoDB ${this.model.resolveString(table.values.name) ?? ''}\non demand, PITR, KMS`, shape: 'cylinder', fillcolor: '#dae3f3' });
      }
    });
  }

  /**
   * API -> each routed group, once; each group -> each datastore it reaches,
   * once, with a label attached to the edge (`decorate`) in the edge's colour;
   * then the managed paths to Aurora. Edges start and end on the group's box
   * (`ltail`/`lhead`), from its middle member.
   */
  private dataAccess(): void {
    this.groups.forEach((g, i) => {
      const anchor = id(g.members[Math.floor((g.members.length - 1) / 2)].resource);
      if (this.api && g.routed) this.dot.edge(id(this.api), anchor, 'route', { lhead: groupId(i) });
      for (const { target, access } of g.reach) {
        const kind = EDGE_KINDS[access];
        // A table edge names its table, so edges into neighbouring tables stay apart where they cross.
        const label = target.type === 'aws_dynamodb_table' ? `${kind.label} ${this.shortName(target)}` : kind.label;
        this.dot.edge(anchor, id(target), access, { ltail: groupId(i), label, fontcolor: kind.look.color, decorate: true });
      }
    });
    const clusters = this.model.ofType('aws_rds_cluster');
    for (const proxy of this.model.ofType('aws_db_proxy')) for (const c of clusters) this.dot.edge(id(proxy), id(c), 'service', { label: 'pooled, TLS' });
    const dataApi = this.endpoints.find((e) => serviceOf(e) === 'rds-data');
    if (dataApi) for (const c of clusters) this.dot.edge(id(dataApi), id(c), 'service', { label: 'Data API' });
  }

  private shortName(r: TfResource): string {
    const name = this.model.resolveString(r.values.name) ?? r.name;
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }
}

const groupId = (i: number) => `cluster_group_${i}`;
const serviceOf = (ep: TfResource) => String(ep.values.service_name ?? '').split('.').pop() ?? '';

/** Builds the DOT source for one synthesized stack. */
export function stackToDot(model: StackModel, options: { title: string; project: string; env: string }): string {
  return new ArchitectureDrawing(model, options).toDot();
}

