// `pyro flamegraph --format tui`: the interactive flamegraph in the terminal
// (Ink + React). Loaded at run time as an ES module of its own (src/cli/load-tui.ts),
// since Ink's yoga-layout cannot go into the CommonJS bundle.
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { render } from 'ink';
import { createElement } from 'react';
import { PyroError } from '../../errors.js';
import type { Profile } from '../../model/profile.js';
import { App } from './app.js';

export type { AppProps } from './app.js';
export { App } from './app.js';

export interface TuiOptions {
  valueIndex: number;
  /** An icicle (root at the top) rather than a flame graph. */
  inverted?: boolean;
  title?: string;
}

/** Shows the profile until the user quits (q or Ctrl-C). Needs a terminal on stdout. */
export async function runTui(profile: Profile, options: TuiOptions): Promise<void> {
  const stdin = process.stdin.isTTY ? process.stdin : openTerminal();
  // chalk does not read NO_COLOR itself.
  const color = !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const out = process.stdout;
  // The alternate screen, as full-screen programs use: the shell's screen comes back on quitting.
  if (out.isTTY) out.write('\u001B[?1049h');
  try {
    const app = render(
      createElement(App, {
        profile,
        valueIndex: options.valueIndex,
        inverted: options.inverted,
        title: options.title,
        color,
      }),
      { stdin, exitOnCtrlC: true, patchConsole: false },
    );
    await app.waitUntilExit();
  } finally {
    if (out.isTTY) out.write('\u001B[?1049l');
    if (stdin !== process.stdin) stdin.destroy();
  }
}

/** Keys come from the terminal even when the profile came through stdin. */
function openTerminal(): ReadStream {
  try {
    return new ReadStream(openSync('/dev/tty', 'r'));
  } catch {
    throw new PyroError(
      'the terminal viewer reads keys from a terminal, and there is none: use --format text or -o FILE',
    );
  }
}
