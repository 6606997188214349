import { afterEach, describe, expect, it, vi } from 'vitest';
import { Poller } from './poll';

afterEach(() => vi.useRealTimers());

describe('Poller', () => {
  it('runs every interval until stopped', async () => {
    vi.useFakeTimers();
    const task = vi.fn();
    const poller = new Poller(task, 3000);
    poller.start();
    await vi.advanceTimersByTimeAsync(2999);
    expect(task).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(6000);
    expect(task).toHaveBeenCalledTimes(3);
    poller.stop();
    expect(poller.running).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(task).toHaveBeenCalledTimes(3);
  });

  it('never overlaps a slow run, and keeps going after a failure', async () => {
    vi.useFakeTimers();
    let release: () => void = () => {};
    const task = vi
      .fn()
      .mockImplementationOnce(() => new Promise<void>((r) => (release = r)))
      .mockRejectedValueOnce(new Error('boom'))
      .mockResolvedValue(undefined);
    const poller = new Poller(task, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(task).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(3);
    poller.stop();
  });

  it('a stop during a run drops the next one; start restarts the interval', async () => {
    vi.useFakeTimers();
    let release: () => void = () => {};
    const task = vi.fn(() => new Promise<void>((r) => (release = r)));
    const poller = new Poller(task, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(1000);
    poller.stop();
    release();
    await vi.advanceTimersByTimeAsync(5000);
    expect(task).toHaveBeenCalledTimes(1);
    poller.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(2);
    poller.stop();
  });
});
