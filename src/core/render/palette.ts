// Frame colours for flamegraphs. The colour palettes follow flamegraph.pl's
// names (hot, mem, io, ...); the language palettes colour a frame by its kind
// (kernel, JIT, inlined, native, the language's own code), told from its name
// the way profilers spell them (perf's _[k]/_[j]/_[i] suffixes, file paths).
// Each colour varies within its hue by three numbers in [0, 1): random by
// default, from a hash of the name with `hash`, or from a seeded generator
// with `deterministic`, so that the same input gives the same bytes.

export const PALETTES = [
  'hot',
  'mem',
  'io',
  'wakeup',
  'red',
  'green',
  'blue',
  'aqua',
  'yellow',
  'purple',
  'orange',
  'java',
  'js',
  'perl',
  'python',
  'rust',
] as const;
export type PaletteName = (typeof PALETTES)[number];

type Hue = 'hot' | 'mem' | 'io' | 'wakeup' | 'red' | 'green' | 'blue' | 'aqua' | 'yellow' | 'purple' | 'orange';

export interface ColorOptions {
  palette: PaletteName;
  /** The same name, the same colour, in every graph. */
  hash?: boolean;
  /** The same input, the same colours (a seeded generator instead of Math.random). */
  deterministic?: boolean;
}

export type ColorFor = (name: string) => string;

/** A function from frame name to an `rgb(r,g,b)` colour. */
export function colorizer(o: ColorOptions): ColorFor {
  const random = o.deterministic ? seeded(0x9e3779b9) : Math.random;
  return (name) => {
    if (name === '--') return 'rgb(160,160,160)';
    if (name === '-') return 'rgb(200,200,200)';
    const hue = hueOf(o.palette, name);
    if (o.hash) {
      const h = hashName(name);
      return rgb(hue, h[0], h[1], h[2]);
    }
    return rgb(hue, random(), random(), random());
  };
}

function rgb(hue: Hue, v1: number, v2: number, v3: number): string {
  const c = (base: number, span: number, v: number) => Math.floor(base + span * v);
  switch (hue) {
    case 'hot':
      return `rgb(${c(205, 50, v3)},${c(0, 230, v1)},${c(0, 55, v2)})`;
    case 'mem':
      return `rgb(${c(0, 0, v3)},${c(190, 50, v2)},${c(0, 210, v1)})`;
    case 'io':
      return `rgb(${c(80, 60, v1)},${c(80, 60, v1)},${c(190, 55, v2)})`;
    case 'wakeup':
      return `rgb(${c(0, 0, v1)},${c(140, 60, v2)},${c(190, 55, v3)})`;
    case 'red':
      return `rgb(${c(200, 55, v1)},${c(50, 80, v1)},${c(50, 80, v1)})`;
    case 'green':
      return `rgb(${c(50, 60, v1)},${c(200, 55, v1)},${c(50, 60, v1)})`;
    case 'blue':
      return `rgb(${c(80, 60, v1)},${c(80, 60, v1)},${c(205, 50, v1)})`;
    case 'aqua':
      return `rgb(${c(50, 60, v1)},${c(165, 55, v1)},${c(165, 55, v1)})`;
    case 'yellow':
      return `rgb(${c(175, 55, v1)},${c(175, 55, v1)},${c(50, 20, v1)})`;
    case 'purple':
      return `rgb(${c(190, 65, v1)},${c(80, 60, v1)},${c(190, 65, v1)})`;
    case 'orange':
      return `rgb(${c(190, 65, v1)},${c(90, 65, v1)},${c(0, 0, v1)})`;
  }
}

/** The hue of a frame: the palette itself, or for a language palette, the kind of frame. */
function hueOf(palette: PaletteName, name: string): Hue {
  switch (palette) {
    case 'java':
    case 'js':
    case 'perl':
    case 'python':
    case 'rust': {
      // Annotations of perf script (stackcollapse --all) first: they say what the frame is.
      if (name.endsWith('_[k]')) return 'orange';
      if (name.endsWith('_[j]')) return 'green';
      if (name.endsWith('_[i]')) return 'aqua';
      return languageHue(palette, name);
    }
    default:
      return palette;
  }
}

function languageHue(palette: 'java' | 'js' | 'perl' | 'python' | 'rust', name: string): Hue {
  switch (palette) {
    case 'java':
      // Java methods are package-qualified (java/util/HashMap.get, Ljava/lang/Thread;::run, org.foo.Bar.baz).
      if (name.includes('/') || /^L?[a-z][\w$]*\.[\w.$]+\.[\w$<>]+/.test(name)) return 'green';
      if (name.includes('::')) return 'yellow'; // C++ (the JVM itself)
      return 'red';
    case 'js':
      if (name.startsWith('(') && name.endsWith(')')) return 'purple'; // (garbage collector), (program), (idle)
      if (/\.(m?js|cjs|ts|tsx|jsx)\b/.test(name) || name.includes('node:') || name.includes('/')) return 'green';
      if (name.includes('::')) return 'yellow'; // V8 and Node.js internals in C++
      return 'red';
    case 'perl':
      if (name.includes('::') || /\.p[lm]\b/.test(name)) return 'green';
      return 'red';
    case 'python':
      if (/\.py\b/.test(name) || name.startsWith('<')) return 'green';
      return 'red';
    case 'rust':
      if (/^(std|core|alloc)::/.test(name) || /^<(std|core|alloc)::/.test(name)) return 'orange';
      if (name.includes('::')) return 'red';
      return 'yellow'; // C and system libraries
  }
}

/** Three numbers in [0, 1) from a name: the start weighs most, as in flamegraph.pl's --hash. */
function hashName(name: string): [number, number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b + ch, 0x5bd1e995) ^ (b >>> 15);
  }
  const u = (x: number) => (x >>> 0) / 4294967296;
  return [u(a), u(b), u(Math.imul(a ^ b, 0x27d4eb2d))];
}

/** A small seeded generator (mulberry32), for colours that do not change between runs. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
