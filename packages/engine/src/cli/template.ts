/**
 * A subset of Go's text/template, enough for what people type after `docker inspect -f` and
 * `docker ps --format`: fields (`.A.B`), variables (`$`, `$x := ...`, `range $k, $v := ...`),
 * pipelines (`.X | json`), parentheses, `if`/`else if`/`else`, `range`/`else`, `with`, and the
 * functions Docker registers plus Go's builtins (json, join, split, upper, lower, title, pad,
 * truncate, index, len, print, printf, println, eq, ne, lt, le, gt, ge, and, or, not).
 * Values are JSON values, so a missing key prints `<no value>` as Go does for maps.
 */
import { FlagError } from './parse/index.js';

type Value = unknown;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; body: Node[]; otherwise: Node[] }
  | { kind: 'range'; pipe: Pipe; body: Node[]; otherwise: Node[] };
interface Pipe {
  decl: string[];
  cmds: Operand[][];
}
type Operand =
  | { kind: 'field'; base: 'dot' | string /* variable name incl. $ */ | Pipe; chain: string[] }
  | { kind: 'literal'; value: Value }
  | { kind: 'ident'; name: string };

const NO_VALUE = Symbol('no value');

export class TemplateError extends FlagError {
  constructor(message: string) {
    super(`template: ${message}`);
  }
}

// ---------- lexing ----------

function splitActions(src: string): Array<{ text: string } | { action: string }> {
  const parts: Array<{ text: string } | { action: string }> = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError(`unclosed action in "${src}"`);
    let inner = src.slice(start, close);
    let next = close + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      const m = /^\s*/.exec(src.slice(next))!;
      next += m[0].length;
    }
    if (text) parts.push({ text });
    parts.push({ action: inner.trim() });
    i = next;
  }
  return parts;
}

function tokenize(action: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|:=|[|(),]|[^\s|(),"`]+)/y;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(action)) !== null) {
    tokens.push(m[1]!);
    end = re.lastIndex;
  }
  if (action.slice(end).trim() !== '') throw new TemplateError(`cannot parse "${action.slice(end).trim()}" in "${action}"`);
  return tokens;
}

// ---------- parsing ----------

class Parser {
  #pos = 0;
  constructor(readonly tokens: string[]) {}
  peek(): string | undefined {
    return this.tokens[this.#pos];
  }
  next(): string | undefined {
    return this.tokens[this.#pos++];
  }
  done(): boolean {
    return this.#pos >= this.tokens.length;
  }

  pipe(): Pipe {
    const decl: string[] = [];
    const save = this.#pos;
    // "$k, $v :=" or "$x :="
    if (this.peek()?.startsWith('$')) {
      const names = [this.next()!];
      if (this.peek() === ',') {
        this.next();
        names.push(this.next() ?? '');
      }
      if (this.peek() === ':=') {
        this.next();
        decl.push(...names);
      } else this.#pos = save;
    }
    const cmds: Operand[][] = [[]];
    while (!this.done() && this.peek() !== ')') {
      const t = this.next()!;
      if (t === '|') {
        cmds.push([]);
        continue;
      }
      cmds[cmds.length - 1]!.push(this.operand(t));
    }
    if (cmds.some((c) => c.length === 0)) throw new TemplateError('missing command in pipeline');
    return { decl, cmds };
  }

  operand(t: string): Operand {
    if (t === '(') {
      const inner = this.pipe();
      if (this.next() !== ')') throw new TemplateError('unclosed parenthesis');
      const chain = this.peekChain();
      return { kind: 'field', base: inner, chain };
    }
    if (t.startsWith('"')) return { kind: 'literal', value: JSON.parse(t) as string };
    if (t.startsWith('`')) return { kind: 'literal', value: t.slice(1, -1) };
    if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (t === 'nil') return { kind: 'literal', value: null };
    if (t === '.') return { kind: 'field', base: 'dot', chain: [] };
    if (t.startsWith('.')) return { kind: 'field', base: 'dot', chain: t.slice(1).split('.') };
    if (t.startsWith('$')) {
      const [name, ...chain] = t.split('.');
      return { kind: 'field', base: name!, chain };
    }
    if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'ident', name: t };
    throw new TemplateError(`unexpected "${t}"`);
  }

  peekChain(): string[] {
    const t = this.peek();
    if (t?.startsWith('.') && t.length > 1) {
      this.next();
      return t.slice(1).split('.');
    }
    return [];
  }
}

function parsePipe(text: string): Pipe {
  const parser = new Parser(tokenize(text));
  const pipe = parser.pipe();
  if (!parser.done()) throw new TemplateError(`unexpected "${parser.peek()}" in "${text}"`);
  return pipe;
}

function parseNodes(parts: Array<{ text: string } | { action: string }>, state: { i: number }, stopAt: string[]): { nodes: Node[]; stop: string } {
  const nodes: Node[] = [];
  while (state.i < parts.length) {
    const part = parts[state.i++]!;
    if ('text' in part) {
      nodes.push({ kind: 'text', text: part.text });
      continue;
    }
    const a = part.action;
    if (a.startsWith('/*')) continue;
    const word = /^(\w+)\b\s*(.*)$/s.exec(a);
    const keyword = word?.[1];
    if (keyword === 'end' || (keyword === 'else' && stopAt.includes('else'))) {
      if (!stopAt.includes(keyword)) throw new TemplateError(`unexpected {{${keyword}}}`);
      return { nodes, stop: a };
    }
    if (keyword === 'if' || keyword === 'with' || keyword === 'range') {
      nodes.push(parseBlock(keyword, word![2]!, parts, state));
      continue;
    }
    nodes.push({ kind: 'action', pipe: parsePipe(a) });
  }
  if (stopAt.length) throw new TemplateError('unexpected EOF: missing {{end}}');
  return { nodes, stop: '' };
}

function parseBlock(kind: 'if' | 'with' | 'range', rest: string, parts: Array<{ text: string } | { action: string }>, state: { i: number }): Node {
  if (!rest) throw new TemplateError(`missing value for ${kind}`);
  const pipe = parsePipe(rest);
  const body = parseNodes(parts, state, ['else', 'end']);
  let otherwise: Node[] = [];
  if (body.stop.startsWith('else')) {
    const elseRest = body.stop.slice(4).trim();
    if (elseRest.startsWith('if ') && kind === 'if') {
      otherwise = [parseBlock('if', elseRest.slice(3).trim(), parts, state)];
    } else {
      otherwise = parseNodes(parts, state, ['end']).nodes;
    }
  }
  return { kind, pipe, body: body.nodes, otherwise };
}

export interface Template {
  execute(data: Value): string;
}

export function parseTemplate(src: string): Template {
  const parts = splitActions(src);
  const { nodes } = parseNodes(parts, { i: 0 }, []);
  return { execute: (data) => run(nodes, { dot: data, vars: [{ $: data }] }) };
}

// ---------- execution ----------

interface Scope {
  dot: Value;
  vars: Array<Record<string, Value>>;
}

function isObject(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function field(v: Value, name: string): Value {
  if (v === NO_VALUE || v === null || v === undefined) return NO_VALUE;
  if (isObject(v)) return name in v ? v[name] : NO_VALUE;
  throw new TemplateError(`can't evaluate field ${name} in type ${Array.isArray(v) ? 'slice' : typeof v}`);
}

export function formatValue(v: Value): string {
  if (v === NO_VALUE || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${formatValue(v[k])}`).join(' ')}]`;
  return String(v);
}

function truthy(v: Value): boolean {
  if (v === NO_VALUE || v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

function lookupVar(scope: Scope, name: string): Value {
  for (let i = scope.vars.length - 1; i >= 0; i--) if (name in scope.vars[i]!) return scope.vars[i]![name];
  throw new TemplateError(`undefined variable "${name}"`);
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

function sprintf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*\d*(?:\.\d+)?)([svdqtfx%])/g, (_m, flags: string, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    let out = verb === 'q' ? JSON.stringify(formatValue(arg)) : verb === 'f' ? Number(arg).toFixed(/\.(\d+)/.exec(flags)?.[1] ? Number(/\.(\d+)/.exec(flags)![1]) : 6) : verb === 'x' ? Number(arg).toString(16) : formatValue(arg);
    const width = /(\d+)/.exec(flags.replace(/\.\d+/, ''))?.[1];
    if (width) out = flags.includes('-') ? out.padEnd(Number(width)) : out.padStart(Number(width));
    return out;
  });
}

const FUNCS: Record<string, (...args: Value[]) => Value> = {
  json: (v) => JSON.stringify(v === NO_VALUE ? null : v),
  join: (list, sep) => (Array.isArray(list) ? list.map(formatValue).join(String(sep)) : formatValue(list)),
  split: (s, sep) => String(s).split(String(sep)),
  upper: (s) => formatValue(s).toUpperCase(),
  lower: (s) => formatValue(s).toLowerCase(),
  title: (s) => formatValue(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  pad: (s, before, after) => ' '.repeat(Number(before)) + formatValue(s) + ' '.repeat(Number(after)),
  truncate: (s, n) => formatValue(s).slice(0, Number(n)),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : isObject(v) ? Object.keys(v).length : 0),
  index: (v, ...keys) => keys.reduce((acc, k) => {
    if (Array.isArray(acc)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= acc.length) throw new TemplateError(`index out of range: ${formatValue(k)}`);
      return acc[i];
    }
    if (isObject(acc)) return String(k) in acc ? acc[String(k)] : NO_VALUE;
    if (acc === null || acc === NO_VALUE) return NO_VALUE;
    throw new TemplateError(`can't index item of type ${typeof acc}`);
  }, v),
  print: (...a) => a.map(formatValue).join(''),
  println: (...a) => `${a.map(formatValue).join(' ')}\n`,
  printf: (f, ...a) => sprintf(String(f), a),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  not: (v) => !truthy(v),
  and: (...a) => a.find((v) => !truthy(v)) ?? a[a.length - 1],
  or: (...a) => a.find((v) => truthy(v)) ?? a[a.length - 1],
};

function evalOperand(op: Operand, scope: Scope): Value {
  if (op.kind === 'literal') return op.value;
  if (op.kind === 'ident') {
    const fn = FUNCS[op.name];
    if (!fn) throw new TemplateError(`function "${op.name}" not defined`);
    return fn();
  }
  const base = op.base === 'dot' ? scope.dot : typeof op.base === 'string' ? lookupVar(scope, op.base) : evalPipe(op.base, scope);
  return op.chain.reduce(field, base);
}

function evalPipe(pipe: Pipe, scope: Scope): Value {
  let prev: Value = NO_VALUE;
  pipe.cmds.forEach((cmd, i) => {
    const [head, ...rest] = cmd;
    const piped = i > 0 ? [prev] : [];
    if (head!.kind === 'ident') {
      const fn = FUNCS[head!.name];
      if (!fn) throw new TemplateError(`function "${head!.name}" not defined`);
      prev = fn(...rest.map((r) => evalOperand(r, scope)), ...piped);
    } else {
      if (rest.length || piped.length) throw new TemplateError(`can't give argument to non-function ${formatValue(evalOperand(head!, scope))}`);
      prev = evalOperand(head!, scope);
    }
  });
  if (pipe.decl.length === 1) scope.vars[scope.vars.length - 1]![pipe.decl[0]!] = prev;
  return prev;
}

function rangeItems(v: Value): Array<[Value, Value]> {
  if (Array.isArray(v)) return v.map((item, i) => [i, item]);
  if (isObject(v)) return Object.keys(v).sort().map((k) => [k, v[k]]);
  if (v === null || v === NO_VALUE || v === undefined) return [];
  if (typeof v === 'number' && Number.isInteger(v)) return Array.from({ length: v }, (_x, i) => [i, i]);
  throw new TemplateError(`range can't iterate over ${formatValue(v)}`);
}

function run(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'action') {
      const v = evalPipe(node.pipe, scope);
      if (node.pipe.decl.length === 0) out += formatValue(v);
    } else if (node.kind === 'range') {
      const { decl, cmds } = node.pipe;
      const items = rangeItems(evalPipe({ decl: [], cmds }, scope));
      if (items.length === 0) out += run(node.otherwise, scope);
      for (const [k, v] of items) {
        const vars: Record<string, Value> = {};
        if (decl.length === 1) vars[decl[0]!] = v;
        if (decl.length === 2) Object.assign(vars, { [decl[0]!]: k, [decl[1]!]: v });
        out += run(node.body, { dot: v, vars: [...scope.vars, vars] });
      }
    } else {
      const v = evalPipe(node.pipe, scope);
      const inner = { dot: node.kind === 'with' ? v : scope.dot, vars: [...scope.vars, {}] };
      out += truthy(v) ? run(node.body, inner) : run(node.otherwise, scope);
    }
  }
  return out;
}
