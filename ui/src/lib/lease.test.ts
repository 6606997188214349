import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaseKeeper, RENEW_EVERY_MS } from './lease';

afterEach(() => vi.useRealTimers());

function keeper() {
  const renew = vi.fn();
  const release = vi.fn();
  return { renew, release, lease: new LeaseKeeper({ renew, release }) };
}

describe('LeaseKeeper', () => {
  it('renews every 60 s while the request is held', async () => {
    vi.useFakeTimers();
    const { renew, release, lease } = keeper();
    expect(RENEW_EVERY_MS).toBe(60_000);
    lease.update(7, true);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledTimes(1);
    expect(renew).toHaveBeenLastCalledWith(7);
    // A renewed detail (still held) does not restart or double the timer.
    lease.update(7, true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(renew).toHaveBeenCalledTimes(3);
    expect(release).not.toHaveBeenCalled();
    await lease.leave();
  });

  it('does not renew a request the agent does not hold', async () => {
    vi.useFakeTimers();
    const { renew, lease } = keeper();
    lease.update(7, false);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(renew).not.toHaveBeenCalled();
    expect(lease.renewing).toBe(false);
  });

  it('releases on leaving while held and claimed, and stops renewing', async () => {
    vi.useFakeTimers();
    const { renew, release, lease } = keeper();
    lease.update(7, true);
    await lease.leave();
    expect(release).toHaveBeenCalledExactlyOnceWith(7);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(renew).not.toHaveBeenCalled();
    // Leaving twice releases once.
    await lease.leave();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('never releases after a decision (the request is no longer held)', async () => {
    vi.useFakeTimers();
    const { renew, release, lease } = keeper();
    lease.update(7, true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(renew).toHaveBeenCalledTimes(1);
    // The decision's answer: state approved.
    lease.update(7, false);
    await vi.advanceTimersByTimeAsync(180_000);
    expect(renew).toHaveBeenCalledTimes(1);
    await lease.leave();
    expect(release).not.toHaveBeenCalled();
  });

  it('never releases a request it was only shown (not held)', async () => {
    const { release, lease } = keeper();
    lease.update(9, false);
    await lease.leave();
    expect(release).not.toHaveBeenCalled();
  });

  it('opening another request releases the one held before', async () => {
    vi.useFakeTimers();
    const { renew, release, lease } = keeper();
    lease.update(7, true);
    lease.update(8, false);
    expect(release).toHaveBeenCalledExactlyOnceWith(7);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(renew).not.toHaveBeenCalled();
    lease.update(8, true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(renew).toHaveBeenCalledExactlyOnceWith(8);
    await lease.leave();
    expect(release).toHaveBeenLastCalledWith(8);
  });

  it('a failing renew or release does not throw and renewals go on', async () => {
    vi.useFakeTimers();
    const renew = vi.fn().mockRejectedValue(new Error('down'));
    const release = vi.fn().mockRejectedValue(new Error('down'));
    const lease = new LeaseKeeper({ renew, release });
    lease.update(7, true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(renew).toHaveBeenCalledTimes(2);
    await expect(lease.leave()).resolves.toBeUndefined();
  });
});
