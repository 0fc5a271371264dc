/**
 * Per-partition watermarks of the projectors of one consumer group, kept as the metadata of the
 * group's committed offsets (each projector commits the watermark it has passed with the offset), so
 * that every instance can read them all.
 *
 * A partition's watermark W says: every event at or below W that belongs to this partition has been
 * applied. The minimum over every partition of the topic therefore says it of every event: it is
 * the checkpoint the views may claim (read your writes waits for it).
 */

/** The committed offset of one partition, as the admin client reads it. */
export interface CommittedPartition {
  partition: number;
  metadata: string | null;
}

/** The offset metadata that carries a watermark. */
export function watermarkMetadata(watermark: number): string {
  return String(watermark);
}

/** The watermark a committed offset carries; 0 when it carries none. */
export function watermarkOf(metadata: string | null | undefined): number {
  return metadata && /^\d{1,15}$/.test(metadata) ? Number(metadata) : 0;
}

/** The checkpoint every partition vouches for: the lowest watermark, 0 when a partition has none. */
export function groupWatermark(partitions: readonly CommittedPartition[]): number {
  if (partitions.length === 0) return 0;
  return Math.min(...partitions.map((p) => watermarkOf(p.metadata)));
}
