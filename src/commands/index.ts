// The command list oclif loads (explicit strategy: no directory scan at start-up).
import Convert from './convert.js';
import Info from './info.js';
import Peek from './peek.js';
import Top from './top.js';

export const COMMANDS = {
  convert: Convert,
  info: Info,
  peek: Peek,
  top: Top,
};
