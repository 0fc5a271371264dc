/**
 * Tells the peers that stopped answering pings from those that are only slow: a peer is dropped once it
 * has answered none of the last `missedLimit` pings (a pong, or anything else it sent, answers). One missed
 * ping is not enough, since an event loop that stalls past the interval reads a pong that came in time only
 * after the interval's timer has run.
 */
export class PeerLiveness<Peer extends object> {
  private readonly missed = new WeakMap<Peer, number>();

  constructor(private readonly missedLimit = 2) {}

  /** The peer answered (or just connected). */
  seen(peer: Peer): void {
    this.missed.set(peer, 0);
  }

  /** One interval: drops the peers that missed too many pings, pings the others. */
  sweep(peers: Iterable<Peer>, ping: (peer: Peer) => void, drop: (peer: Peer) => void): void {
    for (const peer of peers) {
      const missed = this.missed.get(peer) ?? 0;
      if (missed >= this.missedLimit) {
        drop(peer);
        continue;
      }
      this.missed.set(peer, missed + 1);
      ping(peer);
    }
  }
}
