import type { AnyProcedure } from '@trpc/server';
import type { AppRouter } from '../routers/root.ts';
import type { ProcedureMeta } from '../trpc.ts';
import { inputFields, type InputFields } from './rest-input.ts';

/** One REST operation: a procedure with `.meta({ openapi })`. */
export interface RestRoute {
  method: string;
  /** The path template as documented, e.g. `/events/{id}`. */
  template: string;
  /** The procedure's dotted path, e.g. `events.get`. */
  path: string;
  procedure: AnyProcedure;
  type: 'query' | 'mutation';
  meta: ProcedureMeta;
  fields: InputFields;
}

/** All operations sharing one path template, by method. */
interface PathEntry {
  template: string;
  /** Literal segments (lower case), or null where the template has a parameter. */
  segments: Array<string | null>;
  /** What follows a parameter within its segment (`.ics` in `{secret}.ics`), by position; '' for none. */
  suffixes: string[];
  params: string[];
  methods: Map<string, RestRoute>;
}

export interface RouteMatch {
  /** The operation for this method, if the path has one. */
  route: RestRoute | undefined;
  /** Methods the path answers (for 405 and `Allow`). */
  allowed: string[];
  params: Record<string, string>;
}

/**
 * The REST route table, built once from the procedures' OpenAPI meta. A path
 * is matched to the most specific template (a fixed segment beats a `{param}`
 * at the same position, so `/events/batch` is never read as `/events/{id}`);
 * a method the template lacks is a 405, not a 404.
 */
export function buildRouteTable(appRouter: AppRouter) {
  const entries = new Map<string, PathEntry>();
  const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
  for (const [path, procedure] of Object.entries(procedures)) {
    const meta = procedure._def.meta as ProcedureMeta | undefined;
    const type = procedure._def.type;
    if (!meta?.openapi || meta.openapi.enabled === false || type === 'subscription') continue;
    const template = '/' + meta.openapi.path.replace(/^\/+|\/+$/g, '');
    let entry = entries.get(template);
    if (!entry) {
      const parts = template
        .split('/')
        .slice(1)
        .map((part) => PARAMETER.exec(part) ?? part);
      entry = {
        template,
        segments: parts.map((part) => (typeof part === 'string' ? part.toLowerCase() : null)),
        suffixes: parts.map((part) => (typeof part === 'string' ? '' : part[2]!.toLowerCase())),
        params: parts.flatMap((part) => (typeof part === 'string' ? [] : [part[1]!])),
        methods: new Map(),
      };
      entries.set(template, entry);
    }
    const fields = inputFields(procedure._def.inputs as unknown[]);
    entry.methods.set(meta.openapi.method, { method: meta.openapi.method, template, path, procedure, type, meta, fields });
  }

  // Grouped by segment count; within a group, fixed segments before parameters, position by position.
  const byLength = new Map<number, PathEntry[]>();
  for (const entry of entries.values()) {
    const group = byLength.get(entry.segments.length) ?? [];
    group.push(entry);
    byLength.set(entry.segments.length, group);
  }
  for (const group of byLength.values()) group.sort(bySpecificity);

  return {
    routes: [...entries.values()].flatMap((entry) => [...entry.methods.values()]),
    /** `pathname` is relative to `/api`, e.g. `/events/12/`; a trailing slash is allowed. */
    match(method: string, pathname: string): RouteMatch | undefined {
      const parts = pathname.replace(/\/+$/, '').split('/').slice(1);
      for (const entry of byLength.get(parts.length) ?? []) {
        const params = matchSegments(entry, parts);
        if (!params) continue;
        const allowed = [...entry.methods.keys()];
        const route = entry.methods.get(method === 'HEAD' ? 'GET' : method);
        return { route, allowed, params };
      }
      return undefined;
    },
  };
}

/** A parameter segment: `{name}`, optionally followed by a fixed suffix (`{secret}.ics`). */
const PARAMETER = /^\{([^{}]+)\}([^{}]*)$/;

function bySpecificity(a: PathEntry, b: PathEntry): number {
  for (let i = 0; i < a.segments.length; i++) {
    const fixedA = a.segments[i] !== null;
    const fixedB = b.segments[i] !== null;
    if (fixedA !== fixedB) return fixedA ? -1 : 1;
  }
  return 0;
}

/** The raw (still percent-encoded) parameter values, or undefined when the path does not fit. */
function matchSegments(entry: PathEntry, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let p = 0;
  for (let i = 0; i < parts.length; i++) {
    const literal = entry.segments[i];
    const part = parts[i]!;
    if (literal === null) {
      const suffix = entry.suffixes[i]!;
      if (part.length <= suffix.length || (suffix && part.slice(-suffix.length).toLowerCase() !== suffix)) return undefined;
      params[entry.params[p++]!] = suffix ? part.slice(0, -suffix.length) : part;
    } else if (literal !== part && literal !== part.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}
