import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';
import { pyro, tempDir } from './helpers.js';

describe('the command line', () => {
  for (const [id, cmd] of Object.entries(COMMANDS)) {
    it(`${id} --help shows usage and examples`, () => {
      expect(cmd.examples?.length ?? 0).toBeGreaterThan(0);
      const r = pyro([id, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/USAGE/);
      expect(r.stdout).toMatch(/EXAMPLES/);
      expect(r.stdout).toMatch(/Exit\s+codes/);
    });
  }

  it('keeps its command and flag surface (update the snapshot deliberately: vitest -u)', () => {
    const surface = Object.fromEntries(
      Object.entries(COMMANDS).map(([id, cmd]) => [
        id,
        {
          args: Object.keys(cmd.args ?? {}),
          flags: Object.entries({ ...cmd.baseFlags, ...cmd.flags })
            .map(
              ([name, f]) =>
                `${name}${(f as { char?: string }).char ? ` (-${(f as { char?: string }).char})` : ''}: ${(f as { type: string }).type}`,
            )
            .sort(),
          json: Boolean(cmd.enableJsonFlag),
        },
      ]),
    );
    expect(surface).toMatchSnapshot();
  });

  it('offers --json on every command that prints data', () => {
    for (const id of ['info', 'top', 'peek']) {
      expect(COMMANDS[id as keyof typeof COMMANDS].enableJsonFlag, id).toBe(true);
    }
  });

  it('reports a missing file in one line with exit 1, and a stack trace only with --debug', () => {
    const r = pyro(['info', '/nonexistent/cpu.pb.gz']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('pyro: /nonexistent/cpu.pb.gz: no such file\n');
    const d = pyro(['info', '/nonexistent/cpu.pb.gz', '--debug']);
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it('exits 2 on a usage error', () => {
    const r = pyro(['top', '--no-such-flag', 'x']);
    expect(r.status).toBe(2);
  });

  it('reads standard input given as "-"', () => {
    const r = pyro(['convert', '-'], { input: 'a;b 2\na;c 1\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('a;b 2\na;c 1\n');
  });

  it('writes the format named by the extension of -o', () => {
    const dir = tempDir();
    const input = join(dir, 'in.folded');
    writeFileSync(input, 'a;b 2\n');
    const r = pyro(['convert', input, '-o', join(dir, 'out.folded')]);
    expect(r.status).toBe(0);
    expect(pyro(['convert', join(dir, 'out.folded')]).stdout).toBe('a;b 2\n');
  });

  it('rejects an unknown output format with the list of writable ones', () => {
    const r = pyro(['convert', '-', '--to', 'svg'], { input: 'a 1\n' });
    expect(r.status).toBe(2);
  });
});
