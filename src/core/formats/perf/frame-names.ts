// How stackcollapse-perf.pl names one stack line's frames, applied once per
// distinct line (the reader caches the result), so plain string code is fine here.
// https://github.com/brendangregg/FlameGraph/blob/master/stackcollapse-perf.pl
import type { PerfScriptOptions } from '../types.js';

export interface NameOptions {
  kernel: boolean;
  jit: boolean;
  inline: boolean;
  addrs: boolean;
}

export function nameOptions(o: Partial<PerfScriptOptions>): NameOptions {
  return {
    kernel: Boolean(o.kernel || o.all),
    jit: Boolean(o.jit || o.all),
    inline: Boolean(o.inline || o.all),
    addrs: Boolean(o.addrs),
  };
}

/**
 * The frame names of the stack line "pc rawfunc (mod)", in stackcollapse's
 * order (caller first: perf writes Java inlining as "outer->inlined"), or
 * undefined when the line names no frame (rawfunc "(...)").
 */
export function frameNames(
  pc: string,
  rawfunc: string,
  mod: string,
  java: boolean,
  o: NameOptions,
): string[] | undefined {
  // perf >= 4.8 prints symbol offsets ("cpu_startup_entry+0x7c"): not part of the name.
  const func = rawfunc.replace(/\+0x[\da-f]+$/, '');
  if (func.startsWith('(')) return undefined;
  const parts = func.split('->');
  // Perl's split drops trailing empty fields.
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const out: string[] = [];
  for (let part of parts) {
    if (part === '[unknown]') {
      // The module's base name says more than "unknown".
      const known = mod !== '[unknown]';
      const name = known ? mod.replace(/.*\//, '') : 'unknown';
      part = o.addrs ? `[${name} <${pc}>]` : `[${name}]`;
    }
    part = tidy(part);
    // Java class frames ("Ljava/lang/Thread;.run") lose the JVM's "L" prefix.
    if (java && part.startsWith('L') && part.includes('/')) part = part.slice(1);
    if (out.length > 0) {
      if (!part.includes('_[i]')) part += '_[i]';
    } else if (mod === 'inlined') {
      // perf's own inline frames ("addr func (inlined)"), marked on request.
      if (o.inline) part += '_[i]';
    } else if (o.kernel && isKernel(mod)) {
      part += '_[k]';
    } else if (o.jit && isJit(mod) && !part.includes('_[j]')) {
      part += '_[j]';
    }
    out.push(part);
  }
  return out;
}

/**
 * stackcollapse's generic tidying: no ';' (the folded separator), no quotes,
 * and no argument list: the text from the first "(" that is not inside
 * template brackets (C++ "std::function<int (int)>", as inferno reads it), not
 * a Go method's receiver ("net/http.(*Client).Do") and not "(anonymous namespace)".
 */
function tidy(func: string): string {
  const f = func.replaceAll(';', ':');
  let depth = 0;
  let cut = f.length;
  for (let i = 0; i < f.length; i++) {
    const c = f[i];
    if (c === '<' || c === '{' || c === '[') depth++;
    else if (c === '>' || c === '}' || c === ']' || c === ')') depth--;
    else if (c === '(') {
      if (depth === 0 && f[i - 1] !== '.' && !f.startsWith('(anonymous namespace)', i)) {
        cut = i;
        break;
      }
      depth++;
    }
  }
  return f.slice(0, cut).replace(/["']/g, '');
}

/**
 * Kernel modules: "[kernel.kallsyms]", "[nf_conntrack_ipv4]", vmlinux files
 * (also versioned, "vmlinux-5.4.14-cloudflare", as inferno does) and ".ko" files.
 */
function isKernel(mod: string): boolean {
  if (mod.includes('unknown')) return false;
  return mod.startsWith('[') || mod.endsWith('.ko') || /vmlinux[\w.-]*$/.test(mod);
}

/** JIT code: perf map files ("/tmp/perf-1234.map") and jitdump's "jitted-PID-N.so" (as inferno does). */
function isJit(mod: string): boolean {
  return /\/tmp\/perf-\d+\.map/.test(mod) || (mod.includes('/jitted-') && mod.endsWith('.so'));
}
