// GHC's JSON profile (`+RTS -pj`): a table of cost centres (label, module,
// source location) and a tree of cost-centre stacks, each node with its own
// ticks, allocated bytes and entries. Ticks become CPU time through the
// tick interval (microseconds). The text report of `+RTS -p` is not read.
// https://downloads.haskell.org/ghc/latest/docs/users_guide/profiling.html#json-profile-format
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import type { Profile, ValueType } from '../model/profile.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat } from './types.js';

export const GHC_VALUE_TYPES: ValueType[] = [
  { type: 'cpu', unit: 'microseconds' },
  { type: 'alloc_space', unit: 'bytes' },
  { type: 'entries', unit: 'count' },
];

export async function parseGhcProf(source: Source): Promise<Profile> {
  const f = new JsonFields(source.name);
  const root = f.object(await readJson(source), 'the document');
  if (root.profile === undefined || root.cost_centres === undefined) {
    throw new InputError(source.name, 'not a GHC JSON profile: no "profile" or "cost_centres" field');
  }
  const tick = f.number(root.tick_interval ?? 1000, 'tick_interval');
  const b = new ProfileBuilder(GHC_VALUE_TYPES, 'ghc-prof');
  // Cost centre id -> frame: "Module.label", with the file and first line of its source location.
  const frames = new Map<number, number>();
  f.array(root.cost_centres, 'cost_centres').forEach((value, i) => {
    const cc = f.object(value, `cost_centres[${i}]`);
    const label = f.string(cc.label, `cost_centres[${i}].label`);
    const module = typeof cc.module === 'string' ? cc.module : '';
    const loc = typeof cc.src_loc === 'string' ? cc.src_loc : '';
    // src/Main.hs:(21,1)-(38,42) or src/Main.hs:35:26-54; <built-in> and the like have no file.
    const m = /^([^<][^:]*):\(?(\d+)/.exec(loc);
    frames.set(
      f.number(cc.id, `cost_centres[${i}].id`),
      b.frameAt(module ? `${module}.${label}` : label, m?.[1] ?? '', m ? Number(m[2]) : 0, module),
    );
  });
  const path: number[] = [];
  const values = [0, 0, 0];
  const todo: [unknown, number, string][] = [[root.profile, 0, 'profile']];
  while (todo.length > 0) {
    const [value, depth, where] = todo.pop() as [unknown, number, string];
    const node = f.object(value, where);
    const id = f.number(node.id, `${where}.id`);
    const frame = frames.get(id);
    if (frame === undefined) f.fail(`${where}.id`, `names cost centre ${id}, which cost_centres does not list`);
    path.length = depth;
    path.push(frame as number);
    values[0] = f.number(node.ticks ?? 0, `${where}.ticks`) * tick;
    values[1] = f.number(node.alloc ?? 0, `${where}.alloc`);
    values[2] = f.number(node.entries ?? 0, `${where}.entries`);
    if (values[0] !== 0 || values[1] !== 0 || values[2] !== 0) b.addStack(path, path.length, values);
    if (node.children === undefined) continue;
    const children = f.array(node.children, `${where}.children`);
    for (let c = children.length - 1; c >= 0; c--) todo.push([children[c], depth + 1, `${where}.children[${c}]`]);
  }
  const p = b.finish();
  p.defaultValue = 0;
  if (typeof root.program === 'string') p.labels.program = root.program;
  if (typeof root.total_time === 'number') p.duration = root.total_time * 1000;
  return p;
}

function detectGhcProf(head: Buffer): Detection {
  const text = jsonHead(head);
  return text.startsWith('{') && text.includes('"cost_centres"') && text.includes('"tick_interval"') ? 'yes' : 'no';
}

export const ghcProf: ProfileFormat = {
  id: 'ghc-prof',
  name: 'GHC JSON profile (+RTS -pj)',
  extensions: [],
  detect: detectGhcProf,
  read: (source) => parseGhcProf(source),
};
