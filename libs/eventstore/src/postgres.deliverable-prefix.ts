/** A row of the PostgreSQL log as the gap check needs it. */
export interface PositionedRow {
  position: number;
  /** The writer's transaction id (`xid8`). */
  transactionId: bigint;
}

/**
 * How many of `rows` (visible rows after position `after`, in position order) a reader may deliver
 * without ever passing a position that a running transaction may still commit.
 *
 * Appends take their transaction id and their positions under one lock, so both orders agree. A
 * position missing between two visible rows (a hole) belongs to an append that is still running,
 * failed, or never wrote; its transaction id lies between the ids of the rows around the hole. The
 * hole is passed only when no transaction with an id in that range is still running (`running`:
 * the ids in progress in the snapshot the rows were read with). A contiguous run of positions is
 * always safe. Transactions of other applications only matter when their ids fall inside such a
 * range, i.e. they started during an append that is missing and still run.
 *
 * @param previousTransactionId id of the last visible row at or before `after`, if any.
 */
export function deliverablePrefix(
  rows: readonly PositionedRow[],
  after: number,
  previousTransactionId: bigint | undefined,
  running: readonly bigint[],
): number {
  let expected = after + 1;
  let lower = previousTransactionId;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row.position !== expected) {
      const mayStillCommit = running.some(
        (id) => (lower === undefined || id > lower) && id < row.transactionId,
      );
      if (mayStillCommit) return i;
    }
    expected = row.position + 1;
    lower = row.transactionId;
  }
  return rows.length;
}
