// The terminal flamegraph as an Ink component: one text row per depth, each
// frame a coloured block; a status line for the selected frame and a line of
// keys (or the search being typed). The keys are in state.ts.
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { Profile } from '../../model/profile.js';
import { formatValue } from '../../units.js';
import { rectSelf } from '../layout.js';
import { focused, initialState, type Pane, resize, step, type TuiState } from './state.js';
import { type Block, displayName, fitText, hotColor, rectMatches, visibleRows } from './view.js';

export interface AppProps {
  profile: Profile;
  valueIndex: number;
  /** An icicle (root at the top) rather than a flame graph. */
  inverted?: boolean;
  title?: string;
  /** Colours (off: frames are told apart by '|', the selection by '[ ]' and matches by '*'). */
  color?: boolean;
}

/** flamegraph.pl's colour for search matches. */
const MATCH_COLOR = '#e600e6';

export function App({ profile, valueIndex, inverted = false, title, color = true }: AppProps): ReactNode {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const size = () => ({ cols: Math.max(20, stdout.columns || 80), rows: Math.max(10, stdout.rows || 24) });
  const [dims, setDims] = useState(size);
  // The state lives in a ref as well, so that several keys read in one chunk apply one after the other.
  const ref = useRef<TuiState | null>(null);
  ref.current ??= initialState(profile, valueIndex, inverted, dims.cols);
  const [state, setState] = useState(ref.current);

  useEffect(() => {
    const onResize = () => {
      const d = size();
      setDims(d);
      ref.current = resize(ref.current as TuiState, d.cols);
      setState(ref.current);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });

  useInput((input, key) => {
    const next = step(ref.current as TuiState, input, key);
    if (next === 'exit') {
      exit();
      return;
    }
    ref.current = next;
    setState(next);
  });

  const unit = profile.valueTypes[valueIndex]?.unit ?? '';
  const type = profile.valueTypes[valueIndex]?.type ?? '';
  const pane = focused(state);
  const draw = { state, color, cols: state.cols };
  // Title, status, keys, and a spare line: Ink redraws in place while its output is shorter than the terminal.
  const room = dims.rows - 4;
  let body: ReactNode[];
  if (state.sandwich) {
    const s = state.sandwich;
    const h = Math.max(1, Math.floor((room - 2) / 2));
    const header = (label: string, i: 0 | 1) => (
      <Text key={`h${i}`} bold={s.focus === i} wrap="truncate">
        {`${s.focus === i ? '▸' : ' '} ${label} ${s.name}`}
      </Text>
    );
    body = [
      header('callers of', 0),
      ...paneLines(s.panes[0], h, draw, 'a'),
      header('callees of', 1),
      ...paneLines(s.panes[1], h, draw, 'b'),
    ];
  } else body = paneLines(state.main, room, draw, 'm');

  const zoomed = pane.zoom > 0 ? ` · zoomed on ${displayName(pane.src, pane.zoom)}` : '';
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {`${title ?? 'pyro flamegraph'} · ${type} (${unit}) · total ${formatValue(state.total, unit)}${zoomed}`}
      </Text>
      {body}
      <Text wrap="truncate">{statusLine(state, pane, unit)}</Text>
      {state.prompt !== undefined ? (
        <Text wrap="truncate">{`search (regex): /${state.prompt}_`}</Text>
      ) : (
        <Text dimColor wrap="truncate">
          {helpLine(state, pane)}
        </Text>
      )}
    </Box>
  );
}

interface Draw {
  state: TuiState;
  color: boolean;
  cols: number;
}

/** The rows of one pane, at most `height`, the selection's depth in the window. */
function paneLines(pane: Pane, height: number, draw: Draw, key: string): ReactNode[] {
  const rows = visibleRows(pane.src, pane.zoom, draw.cols).byDepth;
  const first = pane.skipRoot ? 1 : 0;
  const n = rows.length - first;
  let lo = first;
  if (n > height) {
    const d = pane.src.layout.depth[pane.sel] as number;
    lo = Math.min(Math.max(first, d - Math.floor(height / 2)), rows.length - height);
  }
  const hi = Math.min(rows.length, lo + height);
  const out: ReactNode[] = [];
  for (let d = lo; d < hi; d++) out.push(rowLine(pane, rows[d] as Block[], draw, `${key}${d}`));
  if (pane.flame) out.reverse();
  return out;
}

function rowLine(pane: Pane, blocks: Block[], draw: Draw, key: string): ReactNode {
  const parts: ReactNode[] = [];
  const match = draw.state.search?.match;
  let x = 0;
  for (const b of blocks) {
    if (b.x > x) parts.push(' '.repeat(b.x - x));
    const name = displayName(pane.src, b.rect);
    const selected = b.rect === pane.sel;
    const matched = rectMatches(pane.src, b.rect, match);
    if (draw.color) {
      parts.push(
        <Text
          key={b.rect}
          color="black"
          backgroundColor={matched ? MATCH_COLOR : hotColor(name)}
          inverse={selected}
          bold={selected}
        >
          {fitText(name, b.w)}
        </Text>,
      );
    } else if (selected) parts.push(b.w >= 2 ? `[${fitText(name, b.w - 2)}]` : '[');
    else parts.push(`${matched ? '*' : '|'}${fitText(name, b.w - 1)}`);
    x = b.x + b.w;
  }
  return (
    <Text key={key} wrap="truncate">
      {parts}
    </Text>
  );
}

const percent = (v: number, total: number) => `${total > 0 ? ((100 * v) / total).toFixed(2) : '0.00'}%`;

function statusLine(state: TuiState, pane: Pane, unit: string): string {
  if (state.message) return state.message;
  const l = pane.src.layout;
  const name = displayName(pane.src, pane.sel);
  const total = l.width[pane.sel] as number;
  const value = (v: number) => `${formatValue(v, unit)} (${percent(v, state.total)})`;
  const s = state.sandwich;
  let line: string;
  if (s && pane === s.panes[0] && pane.sel > 1) line = `${name}  calls ${s.name}: ${value(total)}`;
  else {
    // The function's self is in the callees' half (the callers' half holds it in its callers).
    const selfPane = s && pane.sel === 1 ? s.panes[1] : pane;
    line = `${name}  self ${value(rectSelf(selfPane.src.layout, pane.sel))}  total ${value(total)}`;
  }
  const q = state.search;
  if (q) line += `  · /${q.pattern}/ matched ${value(q.value)}`;
  return line;
}

function helpLine(state: TuiState, pane: Pane): string {
  const vertical = pane.flame ? '↑↓ child/parent' : '↑↓ parent/child';
  const sandwich = state.sandwich ? 'tab half  s back' : 's sandwich';
  return `←→ move  ${vertical}  enter zoom  esc back  / search  ${sandwich}  q quit`;
}
