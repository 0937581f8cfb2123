// What the terminal flamegraph shows and how each key changes it, as pure
// functions of the state, so that keys arriving in one chunk apply in order.
//
// Keys (the arrows move on the screen, whatever the orientation):
//   ←/→    the frame beside, at the same depth (across parents)
//   ↑/↓    in a flame graph (root at the bottom) ↑ is the widest child and ↓ the parent;
//          in an icicle (root at the top, --inverted) ↑ is the parent and ↓ the widest child
//   Enter  zoom on the selected frame; Backspace/Esc: back to the previous zoom
//   /      search (a regular expression; Enter applies, an empty one clears, Esc cancels)
//   s      the sandwich of the selected frame (callers above, callees below) and back; Tab: the other half
//   q      quit
import type { Profile } from '../../model/profile.js';
import { rectName } from '../layout.js';
import { sandwich } from '../sandwich.js';
import {
  type FlameSource,
  flameSource,
  matchedTotal,
  matchFrames,
  sideways,
  visibleAncestor,
  visibleRows,
  widestChild,
} from './view.js';

export interface Pane {
  readonly src: FlameSource;
  /** Root at the bottom (a flame graph) rather than at the top (an icicle). */
  readonly flame: boolean;
  /** The root "all" is not drawn (the sandwich halves, whose root equals the function). */
  readonly skipRoot: boolean;
  readonly zoom: number;
  /** Earlier zooms, the last one on top. */
  readonly history: readonly number[];
  readonly sel: number;
}

export interface Search {
  readonly pattern: string;
  /** Per frame id, whether its name matches (the sandwich profiles share the frame ids). */
  readonly match: Uint8Array;
  /** The value of the samples with a match on their stack. */
  readonly value: number;
}

export interface TuiState {
  readonly profile: Profile;
  readonly valueIndex: number;
  /** The whole profile's total, what percentages are of. */
  readonly total: number;
  readonly cols: number;
  readonly main: Pane;
  readonly sandwich?: { readonly name: string; readonly panes: readonly [Pane, Pane]; readonly focus: 0 | 1 };
  readonly search?: Search;
  /** The search being typed after '/'. */
  readonly prompt?: string;
  /** A one-off note for the status line (a bad regular expression). */
  readonly message?: string;
}

/** The keys step() reads, as Ink's useInput reports them. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export function initialState(profile: Profile, valueIndex: number, inverted: boolean, cols: number): TuiState {
  const src = flameSource(profile, valueIndex);
  return {
    profile,
    valueIndex,
    total: src.layout.total,
    cols,
    main: { src, flame: !inverted, skipRoot: false, zoom: 0, history: [], sel: 0 },
  };
}

/** The pane the keys act on. */
export function focused(state: TuiState): Pane {
  return state.sandwich ? state.sandwich.panes[state.sandwich.focus] : state.main;
}

function withFocused(state: TuiState, pane: Pane): TuiState {
  const s = state.sandwich;
  if (!s) return { ...state, main: pane };
  const panes: [Pane, Pane] = s.focus === 0 ? [pane, s.panes[1]] : [s.panes[0], pane];
  return { ...state, sandwich: { ...s, panes } };
}

/** A pane whose selection is on screen for its zoom and the width. */
function settle(pane: Pane, cols: number): Pane {
  const rows = visibleRows(pane.src, pane.zoom, cols);
  let sel = visibleAncestor(pane.src, rows, pane.sel);
  if (pane.skipRoot && sel === 0 && pane.src.layout.count > 1) sel = 1;
  return sel === pane.sel ? pane : { ...pane, sel };
}

export function resize(state: TuiState, cols: number): TuiState {
  if (cols === state.cols) return state;
  const s = state.sandwich;
  return {
    ...state,
    cols,
    main: settle(state.main, cols),
    sandwich: s && { ...s, panes: [settle(s.panes[0], cols), settle(s.panes[1], cols)] },
  };
}

/** The state after one key, or 'exit'. */
export function step(state: TuiState, input: string, key: KeyInfo): TuiState | 'exit' {
  if (state.prompt !== undefined) return typeSearch(state, input, key);
  const st = state.message ? { ...state, message: undefined } : state;
  const pane = focused(st);
  const rows = visibleRows(pane.src, pane.zoom, st.cols);
  const move = (sel: number) => (sel === pane.sel ? st : withFocused(st, { ...pane, sel }));
  const parent = () => {
    const p = pane.src.layout.parent[pane.sel] as number;
    return p < 0 || (pane.skipRoot && p === 0) ? pane.sel : p;
  };
  if (key.leftArrow) return move(sideways(pane.src, rows, pane.sel, -1));
  if (key.rightArrow) return move(sideways(pane.src, rows, pane.sel, 1));
  if (key.upArrow) return move(pane.flame ? widestChild(pane.src, rows, pane.sel) : parent());
  if (key.downArrow) return move(pane.flame ? parent() : widestChild(pane.src, rows, pane.sel));
  if (key.return) {
    if (pane.sel === pane.zoom) return st;
    return withFocused(st, { ...pane, zoom: pane.sel, history: [...pane.history, pane.zoom] });
  }
  if (key.escape || key.backspace || key.delete) {
    if (pane.history.length > 0) {
      const zoom = pane.history[pane.history.length - 1] as number;
      return withFocused(st, settle({ ...pane, zoom, history: pane.history.slice(0, -1) }, st.cols));
    }
    return st.sandwich ? { ...st, sandwich: undefined } : st;
  }
  if (key.tab && st.sandwich) return { ...st, sandwich: { ...st.sandwich, focus: st.sandwich.focus === 0 ? 1 : 0 } };
  if (key.ctrl || key.meta) return st;
  if (input === 'q') return 'exit';
  if (input === '/') return { ...st, prompt: '' };
  if (input === 's') return st.sandwich ? { ...st, sandwich: undefined } : enterSandwich(st, pane);
  return st;
}

function typeSearch(state: TuiState, input: string, key: KeyInfo): TuiState {
  const prompt = state.prompt ?? '';
  if (key.escape) return { ...state, prompt: undefined };
  if (key.backspace || key.delete) return { ...state, prompt: prompt.slice(0, -1) };
  if (key.return) {
    if (prompt === '') return { ...state, prompt: undefined, search: undefined };
    let re: RegExp;
    try {
      re = new RegExp(prompt);
    } catch (e) {
      return { ...state, prompt: undefined, message: `not a regular expression: ${(e as Error).message}` };
    }
    const match = matchFrames(state.profile, re);
    const value = matchedTotal(state.profile, state.valueIndex, match);
    return { ...state, prompt: undefined, search: { pattern: prompt, match, value } };
  }
  if (key.ctrl || key.meta || input === '' || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow)
    return state;
  return { ...state, prompt: prompt + input };
}

function enterSandwich(state: TuiState, pane: Pane): TuiState {
  if (pane.sel === 0) return { ...state, message: 'select a frame first (the arrow keys)' };
  const name = rectName(pane.src.layout, pane.sel);
  const { callers, callees } = sandwich(state.profile, state.valueIndex, name);
  const half = (p: Profile, flame: boolean): Pane => {
    const src = flameSource(p, 0);
    return { src, flame, skipRoot: true, zoom: 0, history: [], sel: src.layout.count > 1 ? 1 : 0 };
  };
  // Callers grow upwards from the function, callees downwards: the function is in the middle.
  return { ...state, sandwich: { name, panes: [half(callers, true), half(callees, false)], focus: 0 } };
}
