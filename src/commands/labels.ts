import { Args } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { storeFlag } from '../cli/flags.js';
import { withStore } from '../core/query/open.js';
import { LABEL_NAME, parseSelector } from '../core/query/selector.js';

export default class Labels extends PyroCommand {
  static override summary = 'List the label names of the stored series, or the values of one label.';
  static override description =
    `With NAME, the values that label takes; without, the label names. A single argument with braces is a SELECTOR (write 'myapp{}' for the labels of app myapp). ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> labels',
    '<%= config.bin %> labels version',
    '<%= config.bin %> labels env \'myapp{region=~"eu-.*"}\'',
    "<%= config.bin %> labels 'myapp{}' --json",
  ];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ description: 'a label name: list its values' }),
    selector: Args.string({ description: 'only the series this selector matches' }),
  };
  static override flags = { ...storeFlag };

  async run(): Promise<string[]> {
    const { args, flags } = await this.parse(Labels);
    const oneIsSelector = args.selector === undefined && args.name !== undefined && !LABEL_NAME.test(args.name);
    const name = oneIsSelector ? undefined : args.name;
    const text = oneIsSelector ? args.name : args.selector;
    const selector = text === undefined ? undefined : parseSelector(text);
    const [list, dir] = await withStore(flags.store, (store, d) => {
      const l = name === undefined ? store.labelNames(selector) : store.labelValues(name, selector);
      return [l, d] as const;
    });
    if (this.jsonEnabled()) return list;
    if (list.length === 0) {
      const what = name === undefined ? 'no labels' : `no values of label ${name}`;
      const where = text === undefined ? '' : ` in the series matching ${text}`;
      process.stderr.write(
        `pyro: ${what}${where} in ${dir}; see \`pyro series\`, ingest profiles with \`pyro ingest\`\n`,
      );
    }
    for (const l of list) this.log(l);
    return list;
  }
}
