import { describe, expect, it } from '@jest/globals';
import { PeerLiveness } from './peer-liveness';

describe('PeerLiveness', () => {
  const run = (liveness: PeerLiveness<{ id: string }>, peers: { id: string }[]) => {
    const pinged: string[] = [];
    const dropped: string[] = [];
    liveness.sweep(
      peers,
      (p) => pinged.push(p.id),
      (p) => dropped.push(p.id),
    );
    return { pinged, dropped };
  };

  it('drops a peer only after it answered none of two pings in a row', () => {
    const liveness = new PeerLiveness<{ id: string }>();
    const quiet = { id: 'quiet' };
    const answering = { id: 'answering' };
    liveness.seen(quiet);
    liveness.seen(answering);

    expect(run(liveness, [quiet, answering])).toEqual({ pinged: ['quiet', 'answering'], dropped: [] });
    liveness.seen(answering);
    // The quiet peer missed one ping: it may only be slow, and is pinged again.
    expect(run(liveness, [quiet, answering])).toEqual({ pinged: ['quiet', 'answering'], dropped: [] });
    liveness.seen(answering);
    expect(run(liveness, [quiet, answering])).toEqual({ pinged: ['answering'], dropped: ['quiet'] });
  });

  it('keeps a peer whose answer to the first ping came late, after the next interval had begun', () => {
    const liveness = new PeerLiveness<{ id: string }>();
    const slow = { id: 'slow' };
    liveness.seen(slow);
    run(liveness, [slow]);
    run(liveness, [slow]);
    liveness.seen(slow);
    expect(run(liveness, [slow])).toEqual({ pinged: ['slow'], dropped: [] });
  });

  it('drops at once with a limit of one missed ping', () => {
    const liveness = new PeerLiveness<{ id: string }>(1);
    const peer = { id: 'p' };
    liveness.seen(peer);
    run(liveness, [peer]);
    expect(run(liveness, [peer]).dropped).toEqual(['p']);
  });
});
