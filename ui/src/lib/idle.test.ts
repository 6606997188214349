import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  IdleTimer,
  formatIdleLeft,
  idleSignOutNotice,
  idleWarningLeadSecs,
  idleWarningText,
  listenForActivity,
} from './idle';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setup(limitSecs: number) {
  const onTimeout = vi.fn();
  const onWarning = vi.fn();
  const onActive = vi.fn();
  const timer = new IdleTimer({ limitSecs, onTimeout, onWarning, onActive });
  return { timer, onTimeout, onWarning, onActive };
}

describe('IdleTimer', () => {
  it('fires once after the limit without activity, and not before', () => {
    const { timer, onTimeout } = setup(900);
    expect(timer.running).toBe(true);
    vi.advanceTimersByTime(900_000 - 1);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(timer.running).toBe(false);
    vi.advanceTimersByTime(3_600_000);
    timer.activity();
    vi.advanceTimersByTime(3_600_000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('activity starts the idle time again', () => {
    const { timer, onTimeout } = setup(300);
    vi.advanceTimersByTime(200_000);
    timer.activity();
    vi.advanceTimersByTime(200_000);
    timer.activity();
    vi.advanceTimersByTime(299_999);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('frequent activity keeps a single timer', () => {
    const { timer, onTimeout } = setup(120);
    for (let i = 0; i < 1000; i++) {
      vi.advanceTimersByTime(100);
      timer.activity();
    }
    expect(vi.getTimerCount()).toBe(1);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('0 (or a negative or missing limit) means no timer at all', () => {
    for (const limit of [0, -5, Number.NaN]) {
      const { timer, onTimeout, onWarning } = setup(limit);
      expect(timer.running).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
      timer.activity();
      vi.advanceTimersByTime(10 * 24 * 3_600_000);
      expect(onTimeout).not.toHaveBeenCalled();
      expect(onWarning).not.toHaveBeenCalled();
    }
  });

  it('warns 60 s before the timeout and counts down each second', () => {
    const { onTimeout, onWarning } = setup(900);
    vi.advanceTimersByTime(840_000 - 1);
    expect(onWarning).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onWarning).toHaveBeenCalledTimes(1);
    expect(onWarning).toHaveBeenLastCalledWith(60);
    vi.advanceTimersByTime(1000);
    expect(onWarning).toHaveBeenLastCalledWith(59);
    vi.advanceTimersByTime(58_000);
    expect(onWarning).toHaveBeenLastCalledWith(1);
    expect(onWarning).toHaveBeenCalledTimes(60);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(onWarning).toHaveBeenCalledTimes(60);
    // The warning came first.
    expect(onWarning.mock.invocationCallOrder[0]).toBeLessThan(onTimeout.mock.invocationCallOrder[0]);
  });

  it('warns at half the time when the limit is under 2 minutes', () => {
    expect(idleWarningLeadSecs(900)).toBe(60);
    expect(idleWarningLeadSecs(120)).toBe(60);
    expect(idleWarningLeadSecs(90)).toBe(45);
    expect(idleWarningLeadSecs(0)).toBe(0);
    const { onWarning, onTimeout } = setup(90);
    vi.advanceTimersByTime(44_999);
    expect(onWarning).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onWarning).toHaveBeenCalledWith(45);
    vi.advanceTimersByTime(45_000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('activity during the warning ends it and starts the idle time again', () => {
    const { timer, onTimeout, onWarning, onActive } = setup(600);
    vi.advanceTimersByTime(570_000);
    expect(timer.warning).toBe(true);
    expect(onWarning).toHaveBeenLastCalledWith(30);
    timer.activity();
    expect(timer.warning).toBe(false);
    expect(onActive).toHaveBeenCalledTimes(1);
    const warnings = onWarning.mock.calls.length;
    vi.advanceTimersByTime(539_999);
    expect(onWarning).toHaveBeenCalledTimes(warnings);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onWarning).toHaveBeenLastCalledWith(60);
    // Activity outside a warning does not call onActive.
    timer.activity();
    expect(onActive).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(1000);
    timer.activity();
    expect(onActive).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(600_000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });

  it('stop() cancels everything', () => {
    const { timer, onTimeout, onWarning } = setup(300);
    vi.advanceTimersByTime(100_000);
    timer.stop();
    expect(timer.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    timer.activity();
    vi.advanceTimersByTime(3_600_000);
    expect(onTimeout).not.toHaveBeenCalled();
    expect(onWarning).not.toHaveBeenCalled();
  });

  it('signs out at once when the timer fires late (the machine slept)', () => {
    const { onTimeout, onWarning } = setup(900);
    vi.advanceTimersByTime(100_000);
    // The clock jumps past the limit while timers were not running.
    vi.setSystemTime(Date.now() + 2 * 3_600_000);
    vi.advanceTimersByTime(740_000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(onWarning).not.toHaveBeenCalled();
  });

  it('waits out limits longer than one setTimeout can', () => {
    const { onTimeout } = setup(30 * 24 * 3600);
    vi.advanceTimersByTime(29 * 24 * 3_600_000);
    expect(onTimeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(24 * 3_600_000);
    expect(onTimeout).toHaveBeenCalledTimes(1);
  });
});

describe('listenForActivity', () => {
  it('resets on keydown, mousedown, mousemove, wheel, touchstart and focus until removed', () => {
    const target = new EventTarget();
    const onActivity = vi.fn();
    const remove = listenForActivity(target, onActivity);
    for (const type of ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart', 'focus']) {
      target.dispatchEvent(new Event(type));
    }
    target.dispatchEvent(new Event('scroll'));
    expect(onActivity).toHaveBeenCalledTimes(6);
    remove();
    target.dispatchEvent(new Event('keydown'));
    expect(onActivity).toHaveBeenCalledTimes(6);
  });

  it('listens passively, in the capture phase', () => {
    const target = new EventTarget();
    const add = vi.spyOn(target, 'addEventListener');
    listenForActivity(target, () => {})();
    expect(add).toHaveBeenCalledTimes(6);
    for (const call of add.mock.calls) expect(call[2]).toEqual({ passive: true, capture: true });
  });
});

describe('texts', () => {
  it('formats the time left', () => {
    expect(formatIdleLeft(59)).toBe('0:59');
    expect(formatIdleLeft(60)).toBe('1:00');
    expect(formatIdleLeft(5)).toBe('0:05');
    expect(formatIdleLeft(0)).toBe('0:00');
    expect(idleWarningText(59)).toBe(
      'You will be signed out in 0:59 — move the mouse or press a key to stay signed in',
    );
  });

  it('the sign-in notice gives the limit in whole minutes', () => {
    expect(idleSignOutNotice(900)).toBe('Signed out after 15 minutes without activity. Sign in again.');
    expect(idleSignOutNotice(1650)).toBe('Signed out after 28 minutes without activity. Sign in again.');
    expect(idleSignOutNotice(60)).toBe('Signed out after 1 minute without activity. Sign in again.');
    expect(idleSignOutNotice(20)).toBe('Signed out after 1 minute without activity. Sign in again.');
  });
});
