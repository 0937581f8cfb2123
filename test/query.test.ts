import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatSelector,
  type LabelMatcher,
  matchesLabels,
  parseSelector,
  type Selector,
} from '../src/core/query/selector.js';
import { parseDuration, parseRange, parseTime } from '../src/core/query/time.js';

describe('parseSelector', () => {
  it("reads Pyroscope's syntax: app, type and the four matchers", () => {
    expect(parseSelector('myapp.cpu{env="prod",region=~"eu-.*",version!="1.2",host!~"test-.*"}')).toEqual({
      app: 'myapp',
      type: 'cpu',
      matchers: [
        { name: 'env', op: '=', value: 'prod' },
        { name: 'region', op: '=~', value: 'eu-.*' },
        { name: 'version', op: '!=', value: '1.2' },
        { name: 'host', op: '!~', value: 'test-.*' },
      ],
    });
  });

  it('leaves out the app and the type when they are not given', () => {
    expect(parseSelector('{env="ci"}')).toEqual({ matchers: [{ name: 'env', op: '=', value: 'ci' }] });
    expect(parseSelector('{}')).toEqual({ matchers: [] });
    expect(parseSelector('myapp')).toEqual({ app: 'myapp', matchers: [] });
    expect(parseSelector('myapp{}')).toEqual({ app: 'myapp', matchers: [] });
    expect(parseSelector('my-app_2.alloc_space')).toEqual({ app: 'my-app_2', type: 'alloc_space', matchers: [] });
  });

  it('takes the last dot-separated part as the type, as Pyroscope does', () => {
    expect(parseSelector('com.example.api.cpu{}')).toEqual({ app: 'com.example.api', type: 'cpu', matchers: [] });
  });

  it('allows spaces, a trailing comma, other quotes and escapes', () => {
    expect(parseSelector(' app { env = "a\\"b" , k.x =~ \'x\\\\y\', z!=`c\\d`, } ')).toEqual({
      app: 'app',
      matchers: [
        { name: 'env', op: '=', value: 'a"b' },
        { name: 'k.x', op: '=~', value: 'x\\y' },
        { name: 'z', op: '!=', value: 'c\\d' },
      ],
    });
    // An escape that is not one keeps its backslash, so regexes read as written.
    expect(parseSelector('{r=~"eu-\\.west"}').matchers[0]?.value).toBe('eu-\\.west');
  });

  const bad: [string, RegExp][] = [
    ['', /column 1 at the end: empty selector/],
    ['app{env=prod}', /column 9 near "prod}": expected a quoted value/],
    ['app{env="prod"', /column 15 at the end: expected "," or "}"/],
    ['app{env:"x"}', /column 8 near ":\\"x\\"}": expected =, !=, =~ or !~/],
    ['app{="x"}', /column 5 near "=\\"x\\"}": expected a label name/],
    ['app{1x="x"}', /column 5 near "1x=\\"x\\"}": expected a label name/],
    ['app{env="x}', /column 9 near "\\"x}": unterminated quoted value/],
    ['app{env=~"("}', /column 10 .*invalid regular expression/],
    ['app{} x', /column 7 near "x": unexpected text after "}"/],
    ['.cpu', /column 1 .*expected an app name before "."/],
    ['app.{}', /column 5 .*expected a profile type after "."/],
    ['/tmp/cpu.pb.gz', /column 1 near "\/tmp\/cpu.pb\.": expected an app name or "{"/],
    ['app x', /column 5 near "x": expected "{" or the end/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} in one line that points at the position`, () => {
      let err: unknown;
      try {
        parseSelector(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      const msg = (err as Error).message;
      expect(msg).toMatch(message);
      expect(msg).not.toContain('\n');
      expect((err as { exitCode?: number }).exitCode).toBe(2);
    });
  }

  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,8}$/);
  const matcher: fc.Arbitrary<LabelMatcher> = fc.record({
    name,
    op: fc.constantFrom('=' as const, '!=' as const),
    value: fc.string({ unit: 'binary', maxLength: 10 }),
  });
  const selector: fc.Arbitrary<Selector> = fc.record(
    {
      app: fc.stringMatching(/^[A-Za-z0-9_:-]{1,8}$/),
      type: fc.stringMatching(/^[A-Za-z0-9_]{1,8}$/),
      matchers: fc.array(matcher, { maxLength: 4 }),
    },
    { requiredKeys: ['matchers'] },
  );

  it('reads back what formatSelector writes, for any selector', () => {
    fc.assert(
      fc.property(selector, (sel) => {
        // A type needs an app before it in the text form.
        const s = sel.app === undefined ? { matchers: sel.matchers } : sel;
        expect(parseSelector(formatSelector(s))).toEqual(s);
      }),
    );
  });

  it('matches labels as Prometheus does: anchored regexes, a missing label is ""', () => {
    const labels = { env: 'prod', region: 'eu-west-1' };
    const m = (text: string) => matchesLabels(parseSelector(text), labels);
    expect(m('{env="prod"}')).toBe(true);
    expect(m('{env="pro"}')).toBe(false);
    expect(m('{region=~"eu-.*"}')).toBe(true);
    expect(m('{region=~"eu"}')).toBe(false);
    expect(m('{region!~"us-.*"}')).toBe(true);
    expect(m('{version!="1.2"}')).toBe(true);
    expect(m('{version=""}')).toBe(true);
    expect(m('{version=~".+"}')).toBe(false);
    expect(m('{env="prod",region=~"us-.*"}')).toBe(false);
  });
});

describe('parseTime', () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0);

  it('reads now and now plus or minus a duration', () => {
    expect(parseTime('now', now)).toBe(now);
    expect(parseTime('now-1h', now)).toBe(now - 3600e3);
    expect(parseTime('now - 1h30m', now)).toBe(now - 5400e3);
    expect(parseTime('now+15m', now)).toBe(now + 900e3);
    expect(parseTime('now-2w', now)).toBe(now - 14 * 86400e3);
  });

  it('reads a bare duration as that long ago', () => {
    expect(parseTime('2h', now)).toBe(now - 7200e3);
    expect(parseTime('30d', now)).toBe(now - 30 * 86400e3);
    expect(parseTime('90s', now)).toBe(now - 90e3);
    expect(parseTime('1.5h', now)).toBe(now - 5400e3);
  });

  it('reads RFC 3339 with Z or an offset, and dates and times without one as local time', () => {
    expect(parseTime('2024-05-01T10:00:00Z', now)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseTime('2024-05-01T10:00:00.250Z', now)).toBe(Date.UTC(2024, 4, 1, 10) + 250);
    expect(parseTime('2024-05-01T12:00:00+02:00', now)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseTime('2024-05-01t07:30:00-02:30', now)).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseTime('2024-05-01 10:00', now)).toBe(new Date(2024, 4, 1, 10).getTime());
    expect(parseTime('2024-05-01', now)).toBe(new Date(2024, 4, 1).getTime());
  });

  it('tells unix seconds from milliseconds by magnitude', () => {
    expect(parseTime('1714564800', now)).toBe(1714564800e3);
    expect(parseTime('1714564800.5', now)).toBe(1714564800500);
    expect(parseTime('1714564800000', now)).toBe(1714564800000);
  });

  for (const text of ['yesterday', 'now-1', 'now-1y', '2024-13-01', '2024-02-30', '2024-05-01T25:00Z', '-5', '']) {
    it(`rejects ${JSON.stringify(text)} naming the flag and the accepted forms`, () => {
      expect(() => parseTime(text, now, '--from')).toThrow(/^--from ".*": /);
    });
  }

  it('reads durations in ms, s, m, h, d, w', () => {
    expect(parseDuration('1w2d3h4m5s6ms')).toBe(((((7 + 2) * 24 + 3) * 60 + 4) * 60 + 5) * 1000 + 6);
    expect(parseDuration('h')).toBeUndefined();
    expect(parseDuration('5')).toBeUndefined();
  });
});

describe('parseRange', () => {
  const now = Date.UTC(2024, 4, 1, 12);

  it('runs from the beginning to the end of time by default', () => {
    const r = parseRange(undefined, undefined, now);
    expect(r.from).toBe(0);
    expect(r.until).toBeGreaterThan(Date.UTC(9999, 0));
    expect(parseRange('now-1h', undefined, now).from).toBe(now - 3600e3);
    expect(parseRange('2h', 'now-1h', now)).toEqual({ from: now - 7200e3, until: now - 3600e3 });
  });

  it('refuses an empty or reversed range', () => {
    expect(() => parseRange('now', 'now-1h', now)).toThrow(/--from now .* is not before --until now-1h/);
    expect(() => parseRange('now', 'now', now)).toThrow(/is not before/);
  });
});
