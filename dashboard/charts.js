// Charts over time, drawn by uPlot (loaded by the page as the global `uPlot`).

const HEIGHT = 200;
const COLOURS = ['#2f6fbf', '#d0632b', '#3a9a4a', '#9b4dca', '#c23b5a', '#1f9aa5', '#8a7a1f', '#5b6b7d'];

/** One uPlot chart in `element`: a time axis and a line per named series; made again when the names change. */
export class TimeChart {
  /** @type {HTMLElement} */
  #element;
  /** @type {string} */
  #unit;
  /** @type {(value: number) => string} */
  #format;
  /** @type {(value: number) => string} */
  #axisFormat;
  /** @type {uPlot | undefined} */
  #plot;
  /** @type {string} */
  #names = '';

  /**
   * @param {HTMLElement} element
   * @param {string} unit the y axis's label
   * @param {(value: number) => string} format how the legend writes a value
   * @param {(value: number) => string} [axisFormat] how the axis writes one, when shorter than the legend's
   */
  constructor(element, unit, format, axisFormat = format) {
    this.#element = element;
    this.#unit = unit;
    this.#format = format;
    this.#axisFormat = axisFormat;
  }

  /**
   * Draws `series` against `times` (seconds since the epoch). The element's `data-points` says how many points each
   * line has, and `data-series` how many lines, for whoever reads the page without seeing it.
   * @param {readonly number[]} times
   * @param {ReadonlyMap<string, readonly (number | null)[]>} series
   */
  draw(times, series) {
    const names = [...series.keys()];
    this.#element.dataset['points'] = String(times.length);
    this.#element.dataset['series'] = String(names.length);
    if (times.length === 0 || names.length === 0) return;
    /** @type {uPlot.AlignedData} */
    const data = [[...times], ...names.map((name) => [...(series.get(name) ?? [])])];
    if (this.#plot === undefined || this.#names !== names.join('\n')) {
      this.#plot?.destroy();
      this.#element.replaceChildren();
      this.#names = names.join('\n');
      this.#plot = new uPlot(this.#options(names), data, this.#element);
    } else {
      this.#plot.setData(data);
    }
    const width = Math.max(200, this.#element.clientWidth);
    if (this.#plot.width !== width) this.#plot.setSize({ width, height: HEIGHT });
  }

  /**
   * @param {readonly string[]} names
   * @returns {uPlot.Options}
   */
  #options(names) {
    const format = this.#format;
    return {
      width: Math.max(200, this.#element.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true } },
      series: [
        {},
        ...names.map((name, index) => ({
          label: name,
          stroke: COLOURS[index % COLOURS.length] ?? '#333',
          width: 1.5,
          spanGaps: false,
          /** @type {(self: uPlot, value: number | null) => string} */
          value: (_self, value) => (value === null ? '-' : format(value)),
        })),
      ],
      axes: [{}, { label: this.#unit, size: 80, values: (_self, ticks) => ticks.map((tick) => this.#axisFormat(tick)) }],
    };
  }
}
