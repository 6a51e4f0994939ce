/**
 * Reads a V8 .heapsnapshot without JSON.parse on the whole file (snapshots of busy workers pass V8's string
 * limit): node and edge arrays are scanned as numbers, only the metadata and the strings go through JSON.parse.
 */
import { readFileSync } from 'node:fs';

export interface HeapSnapshot {
  nodeFieldCount: number;
  edgeFieldCount: number;
  nodeTypes: string[];
  edgeTypes: string[];
  /** Flat node fields, `nodeFieldCount` per node (type, name, id, self_size, edge_count, ...). */
  nodes: Float64Array;
  /** Flat edge fields, `edgeFieldCount` per edge (type, name_or_index, to_node as a field offset). */
  edges: Uint32Array;
  strings: string[];
  fields: { type: number; name: number; selfSize: number; edgeCount: number };
  edgeFields: { type: number; nameOrIndex: number; toNode: number };
}

function numbersAfter(buf: Buffer, marker: string, count: number, into: Float64Array | Uint32Array): number {
  let i = buf.indexOf(marker);
  if (i < 0) throw new Error(`no ${marker} in heap snapshot`);
  i += marker.length;
  let n = 0;
  let value = 0;
  let inNumber = false;
  for (; n < count; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      inNumber = true;
    } else if (inNumber) {
      into[n++] = value;
      value = 0;
      inNumber = false;
    }
    if (c === 93 && !inNumber && n < count) throw new Error(`${marker}: array ended after ${n} of ${count} numbers`);
  }
  return i;
}

export function readHeapSnapshot(path: string): HeapSnapshot {
  const buf = readFileSync(path);
  const head = buf.subarray(0, buf.indexOf('"nodes"')).toString('utf8').replace(/,\s*$/, '');
  const { snapshot } = JSON.parse(`${head}}`) as {
    snapshot: { meta: Record<string, any>; node_count: number; edge_count: number };
  };
  const meta = snapshot.meta;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const nodes = new Float64Array(snapshot.node_count * nodeFieldCount);
  const edges = new Uint32Array(snapshot.edge_count * edgeFieldCount);
  numbersAfter(buf, '"nodes":[', nodes.length, nodes);
  numbersAfter(buf, '"edges":[', edges.length, edges);
  const stringsStart = buf.indexOf('"strings":[') + '"strings":'.length;
  const stringsEnd = buf.lastIndexOf(']') + 1;
  const strings = JSON.parse(buf.subarray(stringsStart, stringsEnd).toString('utf8')) as string[];
  const f = (name: string) => meta.node_fields.indexOf(name) as number;
  const e = (name: string) => meta.edge_fields.indexOf(name) as number;
  return {
    nodeFieldCount,
    edgeFieldCount,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    nodes,
    edges,
    strings,
    fields: { type: f('type'), name: f('name'), selfSize: f('self_size'), edgeCount: f('edge_count') },
    edgeFields: { type: e('type'), nameOrIndex: e('name_or_index'), toNode: e('to_node') },
  };
}

export interface ClassTotal {
  count: number;
  size: number;
}

/** Self size and count per "class": an object's constructor name, a closure's function name, or the node type. */
export function totalsByClass(s: HeapSnapshot): Map<string, ClassTotal> {
  const totals = new Map<string, ClassTotal>();
  const { nodes, nodeFieldCount: nf, fields } = s;
  for (let i = 0; i < nodes.length; i += nf) {
    const type = s.nodeTypes[nodes[i + fields.type]];
    const name = s.strings[nodes[i + fields.name]];
    const key = classKey(type, name);
    const t = totals.get(key) ?? totals.set(key, { count: 0, size: 0 }).get(key)!;
    t.count++;
    t.size += nodes[i + fields.selfSize];
  }
  return totals;
}

function classKey(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name.length > 60 ? `${name.slice(0, 60)}...` : name;
    case 'closure':
      return `(closure) ${name || '(anonymous)'}`;
    case 'hidden':
    case 'array':
    case 'synthetic':
      return `(${type}) ${name.replace(/\d+/g, 'N').slice(0, 60)}`;
    default:
      return `(${type})`;
  }
}
