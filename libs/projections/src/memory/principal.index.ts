import { viewerPrincipals } from '../view-filters';
import type { PayloadCondition, Viewer } from '../view-store.port';

/** A payload path encoded per document: 0 missing or null, 1 an array or object, 2.. a plain value. */
interface PayloadColumn {
  segments: string[];
  codes: Int32Array;
  dictionary: Map<unknown, number>;
}

const MISSING = 0;
const COMPLEX = 1;
const MAX_COLUMNS = 16;

/**
 * Who may see which document, and payload values of the paths that queries filter on, laid out so
 * that a query touches compact arrays instead of chasing pointers through every visible document.
 *
 * Each indexed document has a slot (a small integer). A principal (`u:<user>`, `g:<group>`) maps to
 * the set of slots it may see; the union of a viewer's sets is taken with a mark per slot in a typed
 * array. A payload path used with `EQ` or `IN` gets a column of value codes per slot (built on first
 * use, kept up to date on writes), so such a condition is tested on an integer before the document
 * is read at all.
 */
export class PrincipalIndex<T> {
  private docs: (T | undefined)[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly free: number[] = [];
  private marks: Uint32Array = new Uint32Array(1024);
  private epoch = 0;
  private readonly principals = new Map<string, Set<number>>();
  private readonly columns = new Map<string, PayloadColumn>();
  private readonly ids: string[] = [];
  /** One column per numeric field (NaN for null), for filters and sorts that need no document. */
  readonly numeric: Float64Array[];

  constructor(
    private readonly keysOf: (doc: T) => string[],
    /** True when both give the same principals (cheap: compares the arrays by reference). */
    private readonly samePrincipals: (a: T, b: T) => boolean,
    private readonly payloadOf: (doc: T) => Record<string, unknown>,
    private readonly numericFields: readonly ((doc: T) => number | null)[] = [],
  ) {
    this.numeric = numericFields.map(() => new Float64Array(1024));
  }

  /** Adds or updates a document; `previous` is what the index holds for it now, if anything. */
  set(id: string, doc: T, previous: T | undefined): void {
    let slot = this.slotOf.get(id);
    if (slot === undefined) {
      const keys = this.keysOf(doc);
      if (keys.length === 0) return; // nobody may see it: nothing to index
      slot = this.allocate(id);
      for (const key of keys) addTo(this.principals, key, slot);
    } else if (previous === undefined || !this.samePrincipals(previous, doc)) {
      if (previous !== undefined)
        for (const key of this.keysOf(previous)) removeFrom(this.principals, key, slot);
      const keys = this.keysOf(doc);
      if (keys.length === 0) {
        this.release(id, slot);
        return;
      }
      for (const key of keys) addTo(this.principals, key, slot);
    }
    this.docs[slot] = doc;
    for (let i = 0; i < this.numericFields.length; i++)
      this.numeric[i][slot] = this.numericFields[i](doc) ?? NaN;
    if (previous === undefined || this.payloadOf(previous) !== this.payloadOf(doc)) {
      for (const column of this.columns.values()) column.codes[slot] = encode(column, this.payloadOf(doc));
    }
  }

  delete(id: string, previous: T): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    for (const key of this.keysOf(previous)) removeFrom(this.principals, key, slot);
    this.release(id, slot);
  }

  /** The slots of the documents the viewer may see. */
  visible(viewer: Viewer): number[] {
    const result: number[] = [];
    this.forEachVisible(viewer, (slot) => result.push(slot));
    return result;
  }

  /** Calls `visit` once with each slot the viewer may see, without building a list (counts). */
  forEachVisible(viewer: Viewer, visit: (slot: number) => void): void {
    if (++this.epoch === 0xffffffff) {
      this.marks.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    const marks = this.marks;
    const collect = (set: Set<number> | undefined) => {
      if (!set) return;
      for (const slot of set) {
        if (marks[slot] === epoch) continue;
        marks[slot] = epoch;
        visit(slot);
      }
    };
    for (const key of new Set(viewerPrincipals(viewer))) collect(this.principals.get(key));
  }

  /**
   * A test of whether the viewer may see the document with an id: the viewer's slots are marked once,
   * then each test is a lookup. Valid until the next call of this, {@link visible} or {@link forEachVisible}.
   */
  visibleTest(viewer: Viewer): (id: string) => boolean {
    this.forEachVisible(viewer, () => undefined);
    const epoch = this.epoch;
    return (id) => {
      const slot = this.slotOf.get(id);
      return slot !== undefined && this.marks[slot] === epoch;
    };
  }

  doc(slot: number): T {
    return this.docs[slot] as T;
  }

  id(slot: number): string {
    return this.ids[slot];
  }

  /**
   * A plan for the first `EQ`/`IN` condition on plain values: a test on the slot's value code that
   * says `no`, `yes` (the condition holds) or `check` (an array or object value: the caller checks the
   * document). Null when no condition allows one.
   */
  prefilter(conditions: readonly PayloadCondition[] | null | undefined): PayloadPlan | null {
    const list = conditions ?? [];
    for (let index = 0; index < list.length; index++) {
      const condition = list[index];
      const values =
        condition.op === 'EQ' ? [condition.value] : condition.op === 'IN' ? condition.value : null;
      if (!Array.isArray(values) || values.length === 0 || !values.every(isPlain)) continue;
      const column = this.column(condition.path);
      if (!column) return null;
      const codes = column.codes;
      const wanted = new Set(
        values.map((v) => column.dictionary.get(v)).filter((c): c is number => c !== undefined),
      );
      return {
        conditionIndex: index,
        test: (slot) => {
          const c = codes[slot];
          return c === COMPLEX ? 'check' : wanted.has(c) ? 'yes' : 'no';
        },
      };
    }
    return null;
  }

  private column(path: string): PayloadColumn | undefined {
    let column = this.columns.get(path);
    if (column || this.columns.size >= MAX_COLUMNS) return column;
    column = { segments: path.split('.'), codes: new Int32Array(this.marks.length), dictionary: new Map() };
    for (const slot of this.slotOf.values())
      column.codes[slot] = encode(column, this.payloadOf(this.docs[slot] as T));
    this.columns.set(path, column);
    return column;
  }

  private allocate(id: string): number {
    const slot = this.free.pop() ?? this.docs.length;
    if (slot === this.docs.length) this.docs.push(undefined);
    this.slotOf.set(id, slot);
    this.ids[slot] = id;
    if (slot >= this.marks.length) {
      const size = this.marks.length * 2;
      this.marks = grow(this.marks, size) as Uint32Array;
      for (const column of this.columns.values()) column.codes = grow(column.codes, size) as Int32Array;
      for (let i = 0; i < this.numeric.length; i++)
        this.numeric[i] = grow(this.numeric[i], size) as Float64Array;
    }
    return slot;
  }

  private release(id: string, slot: number): void {
    this.slotOf.delete(id);
    this.docs[slot] = undefined;
    this.free.push(slot);
  }
}

export interface PayloadPlan {
  /** Which condition of the list the plan answers. */
  conditionIndex: number;
  test(slot: number): 'no' | 'yes' | 'check';
}

function isPlain(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function encode(column: PayloadColumn, payload: Record<string, unknown>): number {
  let value: unknown = payload;
  for (const segment of column.segments) {
    // A path through an array reaches several values (MongoDB's semantics): the document decides.
    if (Array.isArray(value)) return COMPLEX;
    if (value === null || typeof value !== 'object') {
      value = undefined;
      break;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  if (value === undefined || value === null) return MISSING;
  if (!isPlain(value)) return COMPLEX;
  let code = column.dictionary.get(value);
  if (code === undefined) {
    code = column.dictionary.size + 2;
    column.dictionary.set(value, code);
  }
  return code;
}

function grow<A extends Uint32Array | Int32Array | Float64Array>(array: A, size: number): A {
  const next = new (array.constructor as new (n: number) => A)(size);
  next.set(array);
  return next;
}

function addTo(map: Map<string, Set<number>>, key: string, slot: number): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(slot);
}

function removeFrom(map: Map<string, Set<number>>, key: string, slot: number): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(slot);
  if (set.size === 0) map.delete(key);
}
