// What the page keeps of each reading, for the charts over time: the job's routes answer the present only (the
// checkpoint history aside), so the page remembers the last readings itself.

/** About ten minutes at the default refresh of one second. */
const KEPT_READINGS = 600;

/** Readings of a few named values over time, as uPlot takes them: one time column, one column per name. */
export class History {
  /** @type {number[]} seconds since the epoch */
  #times = [];
  /** @type {Map<string, (number | null)[]>} */
  #columns = new Map();

  /**
   * Adds one reading at `epochMs`; a name seen before but missing now gets a gap.
   * @param {number} epochMs
   * @param {ReadonlyMap<string, number | null>} values
   */
  add(epochMs, values) {
    for (const name of values.keys()) {
      if (!this.#columns.has(name)) this.#columns.set(name, this.#times.map(() => null));
    }
    this.#times.push(epochMs / 1000);
    for (const [name, column] of this.#columns) column.push(values.get(name) ?? null);
    if (this.#times.length > KEPT_READINGS) {
      this.#times.shift();
      for (const column of this.#columns.values()) column.shift();
    }
  }

  /** @returns {{ times: number[], series: Map<string, (number | null)[]> }} */
  get data() {
    return { times: this.#times, series: this.#columns };
  }
}
