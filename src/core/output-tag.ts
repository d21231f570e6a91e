/** Names a side output; the type parameter is the side output's record type. */
export class OutputTag<T> {
  /** Phantom field so that OutputTag<A> and OutputTag<B> are different types. */
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (id.length === 0) throw new TypeError('OutputTag needs a non-empty id');
  }
}
